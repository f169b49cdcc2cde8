/**
 * The demo page's two-factor and recovery screens in Chromium against the local stack: enrolling an
 * authenticator (its QR code read off the screen and its codes computed here, as a phone would), the code prompt after a password, and forgot
 * password and email verification end to end through the local outbox (DATA_DIR/outbox), the way a user
 * follows the link in their mail (forgot password on the page alone, through its local mailbox panel). Screenshots of the new screens go to artifacts/screenshots/.
 */
import { decodeClaims } from '../../client';
import { FORGOT_PASSWORD_ANSWER } from '../../lambdas/contract/recovery-answers';
import { LINK_PARAMETERS } from '../../lambdas/contract/settings';
import { authenticatorCode } from '../support/authenticator';
import { strongPassword, uniqueEmail } from '../support/local-stack';
import { outbox } from '../support/outbox';
import { logIn, newProfile, openDemo, screenshot, signedInAs, signedOut, startBrowserRun, type BrowserRun } from './browser';
import { readQrCode } from './qr';

let run: BrowserRun;

beforeAll(async () => {
  run = await startBrowserRun();
});

afterAll(async () => {
  await run.close();
});

async function registered(prefix: string): Promise<{ email: string; password: string }> {
  const email = uniqueEmail(prefix);
  const password = strongPassword();
  expect((await run.running.api('POST', '/register', { body: { email, password } })).status).toBe(201);
  return { email, password };
}

/** The link of the newest mail to `email` that carries `parameter`, as the mail's text shows it. */
function linkIn(email: string, parameter: string): string {
  const mail = outbox(run.running.dataDir, email)
    .filter((m) => m.text.includes(`#${parameter}=`))
    .at(-1);
  const link = mail && /https?:\/\/\S+#\w+=[A-Za-z0-9_-]+/.exec(mail.text)?.[0];
  if (!link) throw new Error(`no ${parameter} link in the outbox for ${email}`);
  return link;
}

it('enrols an authenticator on the page, shows the recovery codes once, and the next login asks for a code', async () => {
  const { email, password } = await registered('browser-mfa');
  const { context } = await newProfile(run);
  const page = await openDemo(run, context);
  await logIn(page, email, password);
  await page.locator('#mfa-state', { hasText: 'password only' }).waitFor();

  await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
  await page.locator('#mfa-setup').waitFor();
  const secret = (await page.locator('#mfa-secret').textContent()) ?? '';
  expect(secret).toMatch(/^[A-Z2-7]+=*$/);
  const uri = (await page.locator('#mfa-uri').textContent()) ?? '';
  expect(await page.locator('#mfa-uri').getAttribute('href')).toBe(uri);
  expect(uri).toMatch(new RegExp(`^otpauth://totp/.+secret=${secret}`));
  // What a phone's camera reads off the screen is the URI the page shows as text.
  expect(await readQrCode(context, page.getByRole('img', { name: 'QR code of the otpauth URI' }))).toBe(uri);
  await screenshot(page, '06-mfa-setup');
  await page.getByLabel('Code from the app', { exact: true }).fill(await authenticatorCode(secret));
  await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
  await page.locator('#recovery-codes li').nth(9).waitFor();
  expect(await page.locator('#recovery-codes li').count()).toBe(10);
  await screenshot(page, '07-mfa-recovery-codes');

  await page.getByRole('button', { name: 'Log out' }).click();
  await signedOut(page);
  const form = page.locator('#login-form');
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill(password);
  await form.getByRole('button', { name: 'Log in' }).click();
  const prompt = page.getByLabel('Code from your authenticator app, or a recovery code');
  await prompt.waitFor();
  expect(await prompt.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
  expect(await page.locator('#status').textContent()).toBe('Signed out'); // a password alone signs nobody in
  await screenshot(page, '08-mfa-code-prompt');

  await prompt.fill(await authenticatorCode(secret, 1));
  await page.keyboard.press('Enter');

  await signedInAs(page, email);
  await page.locator('#mfa-state', { hasText: 'with a password and a code' }).waitFor();
  expect(JSON.parse((await page.locator('#claims').textContent()) ?? '{}').amr).toEqual(['pwd', 'otp']);
  expect(await page.locator('#mfa-login').isHidden()).toBe(true);
  await context.close();
});

it('forgot password end to end on the page alone: request the reset, open the mailbox panel, click the link, set a new password, log in with it', async () => {
  const { email, password } = await registered('browser-forgot');
  const { context } = await newProfile(run);
  const page = await openDemo(run, context);
  await page.getByText('Forgot password?').click();
  const forgot = page.locator('#forgot-form');
  await forgot.getByLabel('Email').fill(email);
  await forgot.getByRole('button', { name: 'Send a reset link' }).click();
  await page.locator('#notice', { hasText: FORGOT_PASSWORD_ANSWER.message }).waitFor();
  await screenshot(page, '09-forgot-password');

  await page.getByText('Mailbox (local stack)').click();
  const mail = page.getByRole('list', { name: 'Mails' }).getByRole('listitem').filter({ hasText: `to ${email}` }).filter({ hasText: 'password' }).first();
  const link = mail.getByRole('link', { name: `#${LINK_PARAMETERS.passwordReset}=` });
  await link.waitFor();
  expect(await link.getAttribute('href')).toBe(linkIn(email, LINK_PARAMETERS.passwordReset)); // the link the mail holds
  expect((await link.getAttribute('href'))?.startsWith(run.demoUrl)).toBe(true);
  await screenshot(page, '11-mailbox');
  await link.click();

  const newPassword = strongPassword();
  await page.getByLabel('New password', { exact: true }).fill(newPassword);
  await screenshot(page, '10-reset-password');
  await page.getByRole('button', { name: 'Set the new password' }).click();

  await page.locator('#notice', { hasText: 'Your password is changed' }).waitFor();
  expect(page.url()).toBe(run.demoUrl); // the token left the address bar
  expect(await page.locator('#reset').isHidden()).toBe(true);
  expect((await run.running.api('POST', '/login', { body: { email, password } })).status).toBe(401);
  await logIn(page, email, newPassword);
  await context.close();
});

it('a verification link verifies the address on opening the page, and the next token says so', async () => {
  const { email, password } = await registered('browser-verify');
  const { context } = await newProfile(run);
  const page = await context.newPage();

  await page.goto(linkIn(email, LINK_PARAMETERS.emailVerification));

  await page.locator('#notice', { hasText: 'Your email address is verified.' }).waitFor();
  expect(page.url()).toBe(run.demoUrl);
  const login = await run.running.api('POST', '/login', { body: { email, password } });
  expect(decodeClaims(login.json.accessToken).email_verified).toBe(true);
  await context.close();
});

it('shows the mailbox panel on the local stack only: against an API that answers the mailbox 404 (a deployed one), the panel stays hidden', async () => {
  const { context } = await newProfile(run);
  const local = await openDemo(run, context);
  await local.getByText('Mailbox (local stack)').waitFor();
  await local.close();

  // What a deployed API Gateway answers for a path it has no route for.
  await context.route('**/_local/outbox', (route) => route.fulfill({ status: 404, contentType: 'application/json', body: '{"message":"Not Found"}' }));
  const deployed = await context.newPage();
  const answered = deployed.waitForEvent('requestfinished', (request) => request.url().endsWith('/_local/outbox'));
  await deployed.goto(run.demoUrl);
  await answered;
  await deployed.locator('#status', { hasText: 'Signed out' }).waitFor();
  await deployed.evaluate('new Promise((resolve) => setTimeout(resolve))'); // the page's handler of that answer has run
  expect(await deployed.locator('#mailbox').isHidden()).toBe(true);
  await context.close();
});
