/**
 * Forgot-password, reset and email verification over HTTP against the local
 * stack, with the mails read from its outbox (DATA_DIR/outbox) as a user
 * reads their inbox. Verification is `optional` here (the default): see
 * recovery-required.test.ts for `required` and for expired links.
 */
import { decodeJwt } from 'jose';
import { FORGOT_PASSWORD_ANSWER, LINK_PARAMETERS, RESEND_VERIFICATION_ANSWER } from '../../lambdas/domain/recovery';
import { LOCAL_APP_PATH, LOCAL_MAIL_FROM } from '../../local/stack';
import type { Api } from '../support/http-client';
import { ALICE, login, startTestStack, strongPassword, uniqueEmail, type RunningStack } from '../support/local-stack';
import { outbox, tokenIn } from '../support/outbox';

const MAILS_PER_HOUR = 3;

let running: RunningStack;
let api: Api;

beforeAll(async () => {
  running = await startTestStack({ RECOVERY_MAILS_PER_HOUR: String(MAILS_PER_HOUR) });
  api = running.api;
  // Warm up with a burst over unknown emails: the local stack runs every request in one process on one DynamoDB
  // client, and its first burst opens the client's connections (deployed, each concurrent request is its own instance).
  await Promise.all(Array.from({ length: 40 }, () => api('POST', '/password/forgot', { body: { email: uniqueEmail('warm') } })));
});

afterAll(async () => {
  await running.stack.stop();
});

const mailsTo = (email: string) => outbox(running.dataDir, email);
const forgot = (email: string) => api('POST', '/password/forgot', { body: { email } });
const reset = (token: string, newPassword: string) => api('POST', '/password/reset', { body: { token, newPassword } });

async function newUser(prefix = 'recovery') {
  const email = uniqueEmail(prefix);
  const password = strongPassword();
  const created = await api('POST', '/register', { body: { email, password } });
  expect(created.status).toBe(201);
  return { email, password, id: created.json.user.id as string };
}

/** Asks for a reset and returns the token of the newest reset mail to `email`. */
async function resetTokenFor(email: string): Promise<string> {
  expect((await forgot(email)).status).toBe(202);
  const mails = mailsTo(email).filter((m) => m.text.includes(LINK_PARAMETERS.passwordReset));
  return tokenIn(mails.at(-1)!, LINK_PARAMETERS.passwordReset);
}

function expectError(response: { status: number; json: { error: string; message: string } }, status: number, code: string) {
  expect([response.status, response.json?.error]).toEqual([status, code]);
  expect(response.json.message).toEqual(expect.any(String));
}

describe('POST /password/forgot', () => {
  it('mails an existing account a link to the app page, the token in the fragment, and nothing else secret', async () => {
    const { email, password } = await newUser();

    const response = await forgot(email.toUpperCase());

    expect(response.status).toBe(202);
    expect(response.json).toEqual(FORGOT_PASSWORD_ANSWER);
    const mail = mailsTo(email).find((m) => m.text.includes(LINK_PARAMETERS.passwordReset))!;
    expect(mail.from).toBe(LOCAL_MAIL_FROM);
    const token = tokenIn(mail, LINK_PARAMETERS.passwordReset);
    expect(Buffer.from(token, 'base64url').length).toBeGreaterThanOrEqual(32);
    const link = new URL(/https?:\/\/\S+/.exec(mail.text)![0]);
    // A GET of the link reaches the app page only: the token is in the fragment, which no server (or mail scanner's request) sees.
    expect([link.origin + link.pathname, link.search, link.hash]).toEqual([`${running.stack.url}${LOCAL_APP_PATH}`, '', `#${LINK_PARAMETERS.passwordReset}=${token}`]);
    expect(mail.html).toContain(`href="${link.href}"`);
    expect(mail.raw).not.toContain(password);
    expect(response.text).not.toContain(token);
  });

  it('answers an unknown email exactly as a known one, and mails nobody', async () => {
    const known = await newUser();
    const unknown = uniqueEmail('nobody');

    const [forKnown, forUnknown] = await Promise.all([forgot(known.email), forgot(unknown)]);

    expect([forUnknown.status, forUnknown.text]).toEqual([forKnown.status, forKnown.text]);
    expect(mailsTo(unknown)).toEqual([]);
  });

  it('refuses a malformed email with 400, as register does (that leaks nothing about accounts)', async () => {
    expectError(await forgot('not an email'), 400, 'validation_error');
    expectError(await api('POST', '/password/forgot', { body: {} }), 400, 'validation_error');
  });

  it(`sends at most ${MAILS_PER_HOUR} mails per account per hour, however many requests arrive at once, and still answers 202 to each`, async () => {
    const { email } = await newUser();
    const before = mailsTo(email).length;

    const responses = await Promise.all(Array.from({ length: 40 }, () => forgot(email)));

    expect(new Set(responses.map((r) => `${r.status} ${r.text}`))).toEqual(new Set([`202 ${JSON.stringify(FORGOT_PASSWORD_ANSWER)}`]));
    // The registration's verification mail counts against the same budget.
    expect(mailsTo(email).length).toBe(MAILS_PER_HOUR);
    expect(before).toBe(1);
  });
});

describe('POST /password/reset', () => {
  it('sets the new password, revokes every session, and leaves the old password useless', async () => {
    const { email, password } = await newUser();
    const session = await login(api, email, password);
    const token = await resetTokenFor(email);
    const newPassword = strongPassword('after-reset');

    const response = await reset(token, newPassword);

    expect(response.status).toBe(200);
    expect(response.json).toEqual({ passwordReset: true });
    expectError(await api('POST', '/refresh', { body: { refreshToken: session.refreshToken } }), 401, 'invalid_token');
    expectError(await api('POST', '/login', { body: { email, password } }), 401, 'invalid_credentials');
    const pair = await login(api, email, newPassword);
    // The link reached the inbox: the email counts as verified from now on.
    expect(decodeJwt(pair.accessToken).email_verified).toBe(true);
  });

  it('spends the token: the same link a second time gets 401 and changes nothing', async () => {
    const { email } = await newUser();
    const token = await resetTokenFor(email);
    const first = strongPassword('first');
    expect((await reset(token, first)).status).toBe(200);

    expectError(await reset(token, strongPassword('second')), 401, 'invalid_token');
    await login(api, email, first);
  });

  it('lets exactly one of 40 concurrent resets with one token win', async () => {
    const { email } = await newUser();
    const token = await resetTokenFor(email);
    const passwords = Array.from({ length: 40 }, (_, i) => strongPassword(`race-${i}`));

    const responses = await Promise.all(passwords.map((p) => reset(token, p)));

    const winners = responses.flatMap((r, i) => (r.status === 200 ? [passwords[i]!] : []));
    expect(winners).toHaveLength(1);
    for (const r of responses.filter((r) => r.status !== 200)) expectError(r, 401, 'invalid_token');
    await login(api, email, winners[0]!);
  });

  it('supersedes a link by the next request: only the newest works', async () => {
    const { email } = await newUser();
    const older = await resetTokenFor(email);
    const newer = await resetTokenFor(email);
    expect(newer).not.toBe(older);

    expectError(await reset(older, strongPassword('old-link')), 401, 'invalid_token');
    expect((await reset(newer, strongPassword('new-link'))).status).toBe(200);
  });

  it('refuses forged and malformed tokens with 401, and wrong types with 400', async () => {
    const forged = Buffer.alloc(32, 7).toString('base64url');
    expectError(await reset(forged, strongPassword()), 401, 'invalid_token');
    expectError(await reset('short', strongPassword()), 401, 'invalid_token');
    expectError(await api('POST', '/password/reset', { body: { token: 42, newPassword: strongPassword() } }), 400, 'validation_error');
  });

  it('applies the password policy before spending the token: a refused password leaves the link usable', async () => {
    const { email } = await newUser();
    const token = await resetTokenFor(email);

    const weak = await reset(token, 'password');
    expectError(weak, 400, 'validation_error');
    expect(weak.json.details).toEqual([{ field: 'newPassword', message: expect.any(String) }]);
    expect((await reset(token, strongPassword('policy-ok'))).status).toBe(200);
  });

  it('works for a link whose account was deleted and registered again by someone else: never', async () => {
    const { email, password } = await newUser();
    const token = await resetTokenFor(email);
    const session = await login(api, email, password);
    expect((await api('DELETE', '/api/profile', { token: session.accessToken, body: { password } })).status).toBe(204);
    const other = strongPassword('new-owner');
    expect((await api('POST', '/register', { body: { email, password: other } })).status).toBe(201);

    expectError(await reset(token, strongPassword('hijack')), 401, 'invalid_token');
    await login(api, email, other);
  });
});

describe('email verification (optional)', () => {
  it('mails a verification link on register; the access token says email_verified false until it is used', async () => {
    const { email, password } = await newUser('verify');
    const [mail] = mailsTo(email);
    expect(mail?.subject).toMatch(/confirm/i);
    expect(decodeJwt((await login(api, email, password)).accessToken).email_verified).toBe(false);

    const response = await api('POST', '/verify-email', { body: { token: tokenIn(mail!, LINK_PARAMETERS.emailVerification) } });

    expect(response.status).toBe(200);
    expect(response.json).toEqual({ emailVerified: true });
    expect(decodeJwt((await login(api, email, password)).accessToken).email_verified).toBe(true);
  });

  it('spends the verification token, and refuses forged ones', async () => {
    const { email } = await newUser('verify');
    const token = tokenIn(mailsTo(email)[0]!, LINK_PARAMETERS.emailVerification);
    expect((await api('POST', '/verify-email', { body: { token } })).status).toBe(200);

    expectError(await api('POST', '/verify-email', { body: { token } }), 401, 'invalid_token');
    expectError(await api('POST', '/verify-email', { body: { token: Buffer.alloc(32, 1).toString('base64url') } }), 401, 'invalid_token');
  });

  it('resends to an unverified account only, with the same 202 for every email', async () => {
    const unverified = await newUser('verify');
    const verified = await newUser('verify');
    await api('POST', '/verify-email', { body: { token: tokenIn(mailsTo(verified.email)[0]!, LINK_PARAMETERS.emailVerification) } });
    const unknown = uniqueEmail('nobody');

    const responses = await Promise.all([unverified.email, verified.email, unknown].map((email) => api('POST', '/verify-email/resend', { body: { email } })));

    expect(responses.map((r) => [r.status, r.json])).toEqual(Array(3).fill([202, RESEND_VERIFICATION_ANSWER]));
    expect([mailsTo(unverified.email).length, mailsTo(verified.email).length, mailsTo(unknown).length]).toEqual([2, 1, 0]);
    const [first, second] = mailsTo(unverified.email).map((m) => tokenIn(m, LINK_PARAMETERS.emailVerification));
    expect(second).not.toBe(first);
  });

  it('lets the demo accounts log in verified', async () => {
    expect(decodeJwt((await login(api, ALICE.email, ALICE.password)).accessToken).email_verified).toBe(true);
  });
});
