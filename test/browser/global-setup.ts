/**
 * One Chromium for the whole browser run: launched here as a server, each test file connects to it
 * (test/browser/browser.ts). Chromium is Debian's (`apt-get install chromium`); playwright-core downloads
 * nothing.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { chromium, type BrowserServer } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath, screenshotDir } from './paths';

declare global {
  // eslint-disable-next-line no-var
  var __CHROMIUM__: BrowserServer | undefined;
}

export default async function globalSetup(): Promise<void> {
  const executablePath = chromiumPath();
  if (!existsSync(executablePath)) {
    throw new Error(`no Chromium at ${executablePath}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`);
  }
  rmSync(screenshotDir(), { recursive: true, force: true });
  mkdirSync(screenshotDir(), { recursive: true });
  const server = await chromium.launchServer({ executablePath, headless: true, args: CHROMIUM_ARGS });
  globalThis.__CHROMIUM__ = server;
  process.env.WRISTBAND_BROWSER_WS = server.wsEndpoint();
}
