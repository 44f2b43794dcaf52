import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Secret } from 'otpauth';
import type { Browser } from 'playwright-core';
import { codeAt } from '../../src/auth/second-factor/totp.js';
import type { TestServer } from '../support/app.js';
import { launchChromium, openPage, screenshot, unexpectedProblems } from './support/browser.js';
import { go, signInHere, signOut, signUp } from './support/flows.js';
import { startWebServer } from './support/stockade.js';

/**
 * Two-factor sign-in in Chromium (issue 14): set it up by reading the key the Security screen shows (as
 * someone typing it into an app would), keep the recovery codes, sign out, sign in with a code computed
 * here with otpauth, then with a recovery code. The QR code is inline SVG: the page must run with no CSP
 * refusal.
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

test('enrol with the shown key, sign out, sign in with a code, then with a recovery code', async () => {
  const { page, problems } = await openPage(browser, server.url);
  await signUp(page, 'two-factor-owner');
  await go(page, '/account/security');
  await page.getByRole('heading', { name: 'Two-factor sign-in is off' }).waitFor();
  await page.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
  await page.getByRole('heading', { name: 'Set up your authenticator app' }).waitFor();
  assert.equal(await page.locator('.qr svg').count(), 1, 'the QR code is inline SVG');
  const shown = (await page.getByTestId('totp-secret').textContent()) ?? '';
  const secret = Buffer.from(Secret.fromBase32(shown.replace(/\s/g, '')).bytes);
  await screenshot(page, 'two-factor-setup');

  const enrolledAt = Date.now();
  await page.getByLabel('Code from the app').fill(codeAt(secret, enrolledAt));
  await page.getByRole('button', { name: 'Turn on' }).click();
  const codes = page.getByTestId('recovery-codes').locator('code');
  await codes.first().waitFor();
  const recoveryCodes = await codes.allTextContents();
  assert.equal(recoveryCodes.length, 10);
  await page.getByRole('button', { name: 'Download' }).waitFor();
  await page.getByRole('button', { name: 'Print' }).waitFor();
  await screenshot(page, 'two-factor-recovery-codes');
  await page.getByRole('button', { name: "I've saved them" }).click();
  await page.getByRole('heading', { name: 'Two-factor sign-in is on' }).waitFor();
  assert.equal(await page.getByTestId('recovery-remaining').textContent(), '10');

  // Sign out; the password alone now leads to the second step.
  await signOut(page);
  await signInHere(page, 'two-factor-owner');
  await page.getByRole('heading', { name: 'Two-factor sign-in' }).waitFor();
  await page.getByLabel('Authentication code').fill('000000');
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByText('That code is not right').waitFor();
  // The next step's code: the confirming one was used (each code works once).
  await page.getByLabel('Authentication code').fill(codeAt(secret, enrolledAt + 30_000));
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();

  // Without the phone: a recovery code.
  await signOut(page);
  await signInHere(page, 'two-factor-owner');
  await page.getByRole('heading', { name: 'Two-factor sign-in' }).waitFor();
  await page.getByRole('button', { name: 'Use a recovery code' }).click();
  await page.getByLabel('Recovery code').fill(recoveryCodes[0]!);
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  await go(page, '/account/security');
  await page.getByRole('heading', { name: 'Two-factor sign-in is on' }).waitFor();
  assert.equal(await page.getByTestId('recovery-remaining').textContent(), '9');

  assert.deepEqual(unexpectedProblems(problems), []);
});
