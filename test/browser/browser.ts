/**
 * What the browser tests share: the local stack (real HTTP, the demo at /demo/), the one Chromium of the
 * run, and steps a user takes on the demo page.
 */
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startTestStack, type RunningStack } from '../support/local-stack';
import type { PageGlobals } from './page-globals';
import { screenshotDir } from './paths';

export interface BrowserRun {
  readonly running: RunningStack;
  readonly browser: Browser;
  readonly demoUrl: string;
  close(): Promise<void>;
}

export async function startBrowserRun(env: Record<string, string> = {}): Promise<BrowserRun> {
  const running = await startTestStack(env);
  const endpoint = process.env.WRISTBAND_BROWSER_WS;
  if (!endpoint) throw new Error('no browser: run these tests with npm run test:browser');
  const browser = await chromium.connect(endpoint);
  return {
    running,
    browser,
    demoUrl: `${running.stack.url}/demo/`,
    close: async () => {
      await browser.close();
      await running.stack.stop();
    },
  };
}

/** A browser context (one profile: shared localStorage, BroadcastChannel and Web Locks), counting its refreshes. */
export async function newProfile(run: BrowserRun): Promise<{ context: BrowserContext; refreshes: () => number }> {
  const context = await run.browser.newContext({ viewport: { width: 1000, height: 900 } });
  let count = 0;
  context.on('request', (request) => {
    if (request.method() === 'POST' && new URL(request.url()).pathname === '/refresh') count++;
  });
  return { context, refreshes: () => count };
}

export async function openDemo(run: BrowserRun, context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await page.goto(run.demoUrl);
  await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.getElementById('status')?.textContent !== 'Loading…');
  return page;
}

export async function logIn(page: Page, email: string, password: string): Promise<void> {
  const form = page.locator('#login-form');
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill(password);
  await form.getByRole('button', { name: 'Log in' }).click();
  await signedInAs(page, email);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(screenshotDir(), `${name}.png`), fullPage: true });
}

/** Makes the stored pair look about to expire in every tab of the profile (the server still takes it). */
export async function expireStoredToken(page: Page): Promise<void> {
  await page.evaluate(() => {
    const { localStorage } = globalThis as unknown as PageGlobals;
    const tokens = JSON.parse(localStorage.getItem('wristband.tokens') ?? 'null');
    localStorage.setItem('wristband.tokens', JSON.stringify({ ...tokens, expiresAt: Date.now() - 1 }));
  });
}

/**
 * Clicks "Reload profile and orders" in every page at one moment (one timer per page, aimed at the same
 * instant of the shared clock), and waits for each page's orders to arrive.
 */
export async function reloadAtOnce(pages: readonly Page[]): Promise<void> {
  const at = Date.now() + 300;
  const done = pages.map((page) => page.waitForResponse((r) => r.url().endsWith('/api/orders') && r.request().method() === 'GET'));
  await Promise.all(
    pages.map((page) =>
      page.evaluate((when) => {
        setTimeout(() => (globalThis as unknown as PageGlobals).document.getElementById('reload')?.click(), when - Date.now());
      }, at),
    ),
  );
  await Promise.all(done);
}

/** Waits until the page says it is signed in as `email`. */
export async function signedInAs(page: Page, email: string): Promise<void> {
  await page.locator('#status', { hasText: `Signed in as ${email}` }).waitFor();
}

/** Waits until the page shows the log-in form. */
export async function signedOut(page: Page): Promise<void> {
  await page.locator('#status', { hasText: 'Signed out' }).waitFor();
  await page.locator('#login-form').waitFor();
}

/**
 * Two tabs of one profile signed in as `email`, their stored pair made to look expired, then reloaded at one
 * moment: exactly one /refresh, and both still signed in with no error. The context is left open for more.
 */
export async function refreshTwoTabsAtOnce(run: BrowserRun, email: string, password: string): Promise<{ context: BrowserContext; tabs: [Page, Page] }> {
  const { context, refreshes } = await newProfile(run);
  const tabA = await openDemo(run, context);
  await logIn(tabA, email, password);
  const tabB = await openDemo(run, context);
  await signedInAs(tabB, email);
  await expireStoredToken(tabA);
  const before = refreshes();

  await reloadAtOnce([tabA, tabB]);

  expect(refreshes() - before).toBe(1);
  for (const tab of [tabA, tabB]) {
    await signedInAs(tab, email);
    expect(await tab.locator('#error').isHidden()).toBe(true);
  }
  return { context, tabs: [tabA, tabB] };
}
