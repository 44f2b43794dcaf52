import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ensureAdmin } from '../../src/auth/bootstrap-admin.js';
import type { TestServer } from '../support/app.js';
import { uniqueUsername } from '../support/client.js';
import { launchChromium } from './support/browser.js';
import { go, PASSWORD, signIn, signUp } from './support/flows.js';
import { startWebServer } from './support/stockade.js';

/**
 * axe-core on every screen, in light and in dark mode (prefers-color-scheme): no serious or critical
 * violation — colour contrast (WCAG AA, 4.5:1) included. Also: "/" focuses the search box.
 */

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let server: TestServer;
let browser: Browser;

before(async () => {
  [server, browser] = await Promise.all([startWebServer(), launchChromium()]);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

interface AxeViolation {
  id: string;
  impact: string | null;
  nodes: { target: unknown[] }[];
}

/** The serious and critical violations on the page as it is now. */
async function violations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol: the page's CSP (script-src 'self') stays as it is, and
  // refuses a <script> tag we would add.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  const found = (await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document): Promise<{ violations: unknown[] }> } }).axe;
    return (await axe.run(document)).violations;
  })) as AxeViolation[];
  return found
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => JSON.stringify(n.target)).join(' ')}`);
}

for (const colorScheme of ['light', 'dark'] as const) {
  test(`axe: no serious or critical violation on any screen (${colorScheme})`, async () => {
    const context = await browser.newContext({ baseURL: server.url, colorScheme, locale: 'en-US', timezoneId: 'UTC' });
    const page = await context.newPage();
    const found: string[] = [];
    const check = async (screen: string) => {
      for (const v of await violations(page)) found.push(`${screen}: ${v}`);
    };

    await page.goto('/#/signin');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await check('sign-in');
    await page.goto('/#/signup');
    await page.getByRole('heading', { name: 'Create your account' }).waitFor();
    await check('sign-up');

    const merchant = uniqueUsername('axe');
    await signUp(page, merchant);
    await check('dashboard');
    await go(page, '/items/new');
    await page.getByRole('heading', { name: 'New item' }).waitFor();
    await check('new item');
    await page.getByLabel('SKU', { exact: true }).fill('AXE-1');
    await page.getByLabel('Name', { exact: true }).fill('Contrast check');
    await page.getByRole('button', { name: 'Create item' }).click();
    await page.getByRole('heading', { name: 'Contrast check' }).waitFor();
    await check('item');
    for (const [hash, heading] of [
      ['/items', 'Inventory'],
      ['/scan', 'Scan'],
      ['/import', 'Import & export'],
      ['/account', 'Account'],
      ['/account/sessions', "Where you're signed in"],
      ['/account/activity', 'Activity'],
      ['/account/invitations', 'Invite staff'],
    ] as const) {
      await go(page, hash);
      await page.getByRole('heading', { name: heading, exact: true }).first().waitFor();
      await page.waitForLoadState('networkidle');
      await check(hash);
    }

    // "/" focuses the search box (from anywhere on the screen but a field).
    await go(page, '/items');
    await page.getByRole('heading', { name: 'Inventory', exact: true }).waitFor();
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('/');
    assert.equal(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.type), 'search');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await check('signed out');

    const adminName = uniqueUsername('axeadmin');
    await ensureAdmin(server.deps.users, server.deps.authenticator, adminName, PASSWORD);
    await signIn(page, adminName);
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await page.waitForLoadState('networkidle');
    await check('admin users');

    assert.deepEqual(found, []);
    await context.close();
  });
}
