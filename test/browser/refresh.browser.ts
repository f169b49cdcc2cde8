/**
 * Refresh in the browser, on a stack with 4-second access tokens, no clock tolerance and strict single-use
 * refresh tokens (REFRESH_REUSE_INTERVAL_SECONDS=0): a refresh token spent twice revokes the session, so
 * two tabs stay signed in only if the client's Web Lock makes the second tab reuse the first one's pair.
 */
import type { PageGlobals } from './page-globals';
import { ALICE } from '../support/local-stack';
import { expireStoredToken, logIn, newProfile, openDemo, refreshTwoTabsAtOnce, signedInAs, startBrowserRun, type BrowserRun } from './browser';

const ACCESS_TOKEN_TTL_SECONDS = 4;
let run: BrowserRun;

beforeAll(async () => {
  run = await startBrowserRun({
    ACCESS_TOKEN_TTL_SECONDS: String(ACCESS_TOKEN_TTL_SECONDS),
    CLOCK_TOLERANCE_SECONDS: '0',
    REFRESH_REUSE_INTERVAL_SECONDS: '0',
  });
});

afterAll(async () => {
  await run.close();
});

const claims = async (page: import('playwright-core').Page) => JSON.parse((await page.locator('#claims').textContent()) ?? '{}') as { exp: number; jti: string };

it('keeps working past the access token exp: a silent refresh happened', async () => {
  const { context, refreshes } = await newProfile(run);
  const page = await openDemo(run, context);
  await logIn(page, ALICE.email, ALICE.password);
  await page.locator('#claims', { hasText: '"jti"' }).waitFor();
  const first = await claims(page);
  // Past exp by the server's clock, with no tolerance left.
  await page.waitForTimeout((first.exp + 1) * 1000 - Date.now());

  const sku = `late-${Date.now()}`;
  await page.locator('#order-form').getByLabel('Item (SKU)').fill(sku);
  await page.getByRole('button', { name: 'Place order' }).click();

  await page.locator('#orders li', { hasText: sku }).waitFor();
  expect(refreshes()).toBeGreaterThanOrEqual(1);
  await page.waitForFunction((jti) => !(globalThis as unknown as PageGlobals).document.getElementById('claims')?.textContent?.includes(jti), first.jti);
  expect((await claims(page)).exp).toBeGreaterThan(first.exp);
  await signedInAs(page, ALICE.email);
  expect(await page.locator('#error').isHidden()).toBe(true);
  await context.close();
});

it('two tabs refreshing at the same moment both stay signed in with a grace interval of 0 (the Web Lock)', async () => {
  const {
    context,
    tabs: [, tabB],
  } = await refreshTwoTabsAtOnce(run, ALICE.email, ALICE.password);
  // The session survived: its newest refresh token still works (a reuse would have revoked the family).
  await expireStoredToken(tabB);
  const next = tabB.waitForResponse((r) => r.url().endsWith('/refresh'));
  await tabB.locator('#reload').click();
  expect((await next).status()).toBe(200);
  await signedInAs(tabB, ALICE.email);
  await context.close();
});
