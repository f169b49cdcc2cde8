/** Where the browser run finds Chromium and leaves its screenshots (a CI artifact; .ci/run names the folder). */
import { resolve } from 'node:path';

export const chromiumPath = (): string => process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export const screenshotDir = (): string => resolve(process.env.SCREENSHOT_DIR || 'artifacts/screenshots');

/** Headless, and nothing that phones home or waits for a GPU or a sandbox the CI container lacks. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
