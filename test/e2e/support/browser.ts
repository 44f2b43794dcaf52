import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/** Debian's chromium package; CHROMIUM_PATH overrides it. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const SCREENSHOTS = fileURLToPath(new URL('../../../test-results/screenshots/', import.meta.url));

/** `extraArgs`: more switches, e.g. a fake camera (support/fake-camera.ts). */
export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Uncaught errors and console errors, including CSP refusals ("Refused to …"). */
  problems: string[];
}

/**
 * A new context (its own cookie jar: another browser profile, as far as the server can tell) and page,
 * with every page error and console error collected, so a test can assert that the app ran clean
 * under the CSP. Responses with an error status show up as console errors too ("Failed to load
 * resource"), so those the test provokes on purpose are filtered by the caller.
 */
export async function openPage(
  browser: Browser,
  baseURL: string,
  opts: { viewport?: { width: number; height: number }; acceptDownloads?: boolean } = {},
): Promise<WatchedPage> {
  const context = await browser.newContext({
    baseURL,
    viewport: opts.viewport ?? { width: 1280, height: 860 },
    acceptDownloads: opts.acceptDownloads ?? true,
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  return { page, context, problems };
}

/** Console errors other than the HTTP failures a test provoked on purpose (401 after sign-out, …). */
export function unexpectedProblems(problems: string[]): string[] {
  return problems.filter((p) => !/Failed to load resource: the server responded with a status of (4\d\d)/.test(p));
}

/** The whole page by default; `fullPage: false` for what a phone shows on its screen. */
export async function screenshot(page: Page, name: string, opts: { fullPage?: boolean } = {}): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: opts.fullPage ?? true });
}
