/**
 * The demo page in Chromium against the local stack with its default settings: the main screens, the
 * admin panel's visibility and the API's 403 behind it, two tabs refreshing at one moment, and a logout
 * in one tab signing out the other. Screenshots of each main screen go to artifacts/screenshots/.
 */
import { decodeClaims } from '../../client';
import { ERRORS } from '../../lambdas/contract/errors';
import type { PageGlobals } from './page-globals';
import { ADMIN, ALICE, strongPassword, uniqueEmail } from '../support/local-stack';
import { expireStoredToken, logIn, newProfile, openDemo, refreshTwoTabsAtOnce, screenshot, signedInAs, signedOut, startBrowserRun, type BrowserRun } from './browser';

let run: BrowserRun;

beforeAll(async () => {
  run = await startBrowserRun();
});

afterAll(async () => {
  await run.close();
});

it('logs in, shows the profile, places an order and lists it', async () => {
  const { context } = await newProfile(run);
  const page = await openDemo(run, context);
  await signedOut(page);
  await screenshot(page, '01-signed-out');

  await logIn(page, ALICE.email, ALICE.password);
  await page.locator('#profile', { hasText: ALICE.email }).waitFor();
  const sku = `tea-${Date.now()}`;
  const form = page.locator('#order-form');
  await form.getByLabel('Item (SKU)').fill(sku);
  await form.getByLabel('Quantity').fill('3');
  await form.getByRole('button', { name: 'Place order' }).click();

  await page.locator('#orders li', { hasText: `3 × ${sku}` }).waitFor();
  expect(await page.locator('#claims').textContent()).toContain('"role": "user"');
  expect(await page.locator('#countdown').textContent()).toMatch(/^\d+ s$/);
  await screenshot(page, '02-profile-orders-sessions');
  await context.close();
});

it('registers with a readable error first, then signs the new user in', async () => {
  const { context } = await newProfile(run);
  const page = await openDemo(run, context);
  const email = uniqueEmail('browser');
  const form = page.locator('#register-form');
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill('too-short');
  await form.getByRole('button', { name: 'Register and log in' }).click();

  const alert = page.getByRole('alert').first();
  await alert.waitFor();
  const contract = await run.running.api('POST', '/register', { body: { email: uniqueEmail('browser'), password: 'too-short' } });
  expect(await alert.textContent()).toBe(contract.json.message); // the contract's message, word for word
  await screenshot(page, '03-register-error');

  await form.getByLabel('Password').fill(strongPassword());
  await form.getByRole('button', { name: 'Register and log in' }).click();
  await signedInAs(page, email);
  expect(await page.locator('#error').isHidden()).toBe(true);
  await context.close();
});

it('hides the admin panel from alice, and forcing it open shows the API 403 message', async () => {
  const { context } = await newProfile(run);
  const page = await openDemo(run, context);
  await logIn(page, ALICE.email, ALICE.password);
  await page.locator('#sessions li').first().waitFor();
  expect(await page.locator('#admin').isHidden()).toBe(true);

  await page.getByRole('link', { name: 'Open it anyway' }).click();

  const message = page.locator('#admin-error');
  await message.waitFor();
  expect(await message.textContent()).toBe(ERRORS.forbidden.message);
  expect(await page.locator('#users tbody tr').count()).toBe(0);
  await screenshot(page, '04-admin-forced-403');
  await context.close();
});

it('shows the admin panel to the admin, with the users and their roles, and changes a role', async () => {
  const email = uniqueEmail('promoted');
  const password = strongPassword();
  expect((await run.running.api('POST', '/register', { body: { email, password } })).status).toBe(201);
  const { context } = await newProfile(run);
  const page = await openDemo(run, context);
  await logIn(page, ADMIN.email, ADMIN.password);

  await page.locator('#users tbody tr', { hasText: ALICE.email }).waitFor();
  expect(await page.getByLabel(`Role of ${ALICE.email}`).inputValue()).toBe('user');
  expect(await page.locator('#admin-error').isHidden()).toBe(true);
  await screenshot(page, '05-admin-panel');

  await page.getByLabel(`Role of ${email}`).selectOption('admin');

  await page.locator('#admin-status', { hasText: `${email} is now an admin.` }).waitFor();
  const login = await run.running.api('POST', '/login', { body: { email, password } });
  expect(decodeClaims(login.json.accessToken).role).toBe('admin');
  await context.close();
});

it('two tabs refreshing at the same moment both stay signed in (default grace interval): one refresh, shared', async () => {
  const { context } = await refreshTwoTabsAtOnce(run, ALICE.email, ALICE.password);
  await context.close();
});

it("revokes another device's session from the list: that device is signed out at its next refresh", async () => {
  const email = uniqueEmail('devices');
  const password = strongPassword();
  expect((await run.running.api('POST', '/register', { body: { email, password } })).status).toBe(201);
  const laptop = await newProfile(run);
  const phone = await newProfile(run);
  const phonePage = await openDemo(run, phone.context);
  await logIn(phonePage, email, password);
  const laptopPage = await openDemo(run, laptop.context);
  await logIn(laptopPage, email, password);
  await laptopPage.locator('#sessions li').nth(1).waitFor();

  // Newest first: the laptop's own session, then the phone's.
  await laptopPage.locator('#sessions li').nth(1).getByRole('button', { name: /^Revoke session/ }).click();
  await laptopPage.locator('#sessions li').nth(1).waitFor({ state: 'detached' });

  await expireStoredToken(phonePage);
  await phonePage.locator('#reload').click();
  await signedOut(phonePage);
  await signedInAs(laptopPage, email);
  await laptop.context.close();
  await phone.context.close();
});

it('logging out in one tab signs the other out', async () => {
  const { context } = await newProfile(run);
  const tabA = await openDemo(run, context);
  await logIn(tabA, ALICE.email, ALICE.password);
  const tabB = await openDemo(run, context);
  await signedInAs(tabB, ALICE.email);

  await tabA.getByRole('button', { name: 'Log out' }).click();

  await signedOut(tabB);
  await signedOut(tabA);
  await tabB.reload();
  await signedOut(tabB);
  await context.close();
});

it('is usable from the keyboard: tab to the fields, Enter submits, focus is visible', async () => {
  const { context } = await newProfile(run);
  const page = await openDemo(run, context);
  await page.locator('#login-email').focus();
  await page.keyboard.type(ALICE.email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(ALICE.password);
  await page.keyboard.press('Enter');
  await signedInAs(page, ALICE.email);

  await page.locator('#reload').focus();
  const outline = await page.locator('#reload').evaluate((el) => (globalThis as unknown as PageGlobals).getComputedStyle(el).outlineStyle);
  expect(outline).not.toBe('none');
  await context.close();
});
