import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../support/app.js';
import { launchChromium, openPage, unexpectedProblems } from './support/browser.js';
import { go, PASSWORD } from './support/flows.js';
import { startWebServer } from './support/stockade.js';

/**
 * Keyboard and screen-reader basics, checked on every screen: each form control has a label, password
 * fields carry the right autocomplete and no short maxlength, a route change moves focus to the new
 * screen's heading, and the whole sign-up → adjust-stock path works from the keyboard alone. Also the
 * page itself: served under the strict CSP, with no inline script or style for it to refuse.
 */

let server: TestServer;
let browser: Browser;

before(async () => {
  [server, browser] = await Promise.all([startWebServer(), launchChromium()]);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Visible form controls without a label (a <label for>, a wrapping label, aria-label or aria-labelledby). */
function unlabelled(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>('input, select, textarea')]
      .filter((el) => !el.hidden && el.type !== 'hidden' && el.offsetParent !== null)
      .filter((el) => (el.labels?.length ?? 0) === 0 && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
      .map((el) => el.outerHTML),
  );
}

function passwordFieldProblems(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLInputElement>('input[type=password]')]
      .filter((el) => !['current-password', 'new-password'].includes(el.autocomplete) || (el.maxLength > 0 && el.maxLength < 64))
      .map((el) => el.outerHTML),
  );
}

const focusedId = (page: Page) => page.evaluate(() => document.activeElement?.id ?? '');

test('the app is served under the strict CSP, with nothing inline for it to refuse', async () => {
  const res = await fetch(`${server.url}/`);
  const csp = res.headers.get('content-security-policy') ?? '';
  for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'", "frame-ancestors 'none'"]) {
    assert.ok(csp.includes(directive), `CSP has ${directive}: ${csp}`);
  }
  const html = await res.text();
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'no inline <script>');
  assert.doesNotMatch(html, /<style|\sstyle=/i, 'no inline style');
});

test('every screen is labelled and reachable by keyboard, and focus follows the route', async () => {
  const { page, context, problems } = await openPage(browser, server.url);
  await page.goto('/#/signup');
  await page.getByRole('heading', { name: 'Create your account' }).waitFor();
  assert.deepEqual(await unlabelled(page), []);
  assert.deepEqual(await passwordFieldProblems(page), []);

  // Sign up with the keyboard only: Tab into the form, type, Enter submits.
  await page.keyboard.press('Tab'); // Username (the first focusable control on the page)
  assert.equal(await page.evaluate(() => (document.activeElement as HTMLInputElement).name), 'username');
  await page.keyboard.type('keyboard-user');
  await page.keyboard.press('Tab');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Tab');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  await page.waitForFunction(() => document.activeElement?.id === 'page-title');

  // Each screen: its heading takes focus on arrival, every control has a label.
  const screens: [string, string][] = [
    ['/items', 'Inventory'],
    ['/items/new', 'New item'],
    ['/import', 'Import & export'],
    ['/account', 'Account'],
    ['/account/sessions', "Where you're signed in"],
    ['/account/activity', 'Activity'],
    ['/', 'Dashboard'],
  ];
  for (const [hash, heading] of screens) {
    await go(page, hash);
    await page.getByRole('heading', { name: heading, exact: true }).waitFor();
    await page.waitForFunction(() => document.activeElement?.id === 'page-title');
    assert.deepEqual(await unlabelled(page), [], `labels on ${hash}`);
    assert.deepEqual(await passwordFieldProblems(page), [], `password fields on ${hash}`);
  }

  // Create an item and adjust its stock from the keyboard: the skip button, Tab order, Enter to submit.
  await go(page, '/items/new');
  await page.getByRole('heading', { name: 'New item' }).waitFor();
  // The heading takes focus on arrival (after render): wait for it, or that move can land after ours and
  // send the typing elsewhere (a loaded CI machine did: the item was never created).
  await page.waitForFunction(() => document.activeElement?.id === 'page-title');
  await page.getByLabel('SKU', { exact: true }).focus();
  await page.keyboard.type('KEY-1');
  await page.keyboard.press('Tab');
  await page.keyboard.type('Keyboard item');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Keyboard item' }).waitFor();
  await page.waitForFunction(() => document.activeElement?.id === 'page-title');
  await page.getByLabel('Reason').focus();
  await page.keyboard.press('ArrowDown'); // received
  await page.keyboard.press('Tab'); // − stepper
  await page.keyboard.press('Tab'); // amount
  await page.keyboard.type('4');
  await page.keyboard.press('Enter');
  await page.getByRole('cell', { name: '+4' }).waitFor();
  assert.equal(await page.locator('#on-hand').textContent(), '4');
  assert.equal(await page.getByLabel('Change in quantity').inputValue(), '', 'the form is ready for the next count');

  // The skip button is the first stop on a freshly loaded signed-in page and lands on the heading.
  await page.reload();
  await page.getByRole('heading', { name: 'Keyboard item' }).waitFor();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
  await page.keyboard.press('Enter');
  assert.equal(await focusedId(page), 'page-title');

  // Messages are announced: a live region for confirmations, alerts for errors.
  assert.equal(await page.locator('.announcer[aria-live="polite"]').count(), 1);
  assert.deepEqual(unexpectedProblems(problems), []);
  await context.close();
});
