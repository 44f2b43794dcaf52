import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../support/app.js';
import { linkIn, startSmtpServer, type TestSmtpServer, tokenOf } from '../support/smtp-server.js';
import { launchChromium, openPage, screenshot, unexpectedProblems } from './support/browser.js';
import { go, signIn, signUp } from './support/flows.js';
import { startWebServer } from './support/stockade.js';

/**
 * E-mail in the browser, with a real SMTP server: the Account screen sets an address (confirmation state
 * shown), the `#/verify-email/<token>` page confirms it on a signed-out device, and "Forgot password?"
 * on the sign-in screen leads through the mailed link to a new password.
 */

let server: TestServer;
let browser: Browser;
let smtp: TestSmtpServer;

before(async () => {
  smtp = await startSmtpServer();
  [server, browser] = await Promise.all([startWebServer({ SMTP_URL: smtp.url }), launchChromium()]);
});

after(async () => {
  await browser?.close();
  await server?.close();
  await smtp?.stop();
});

test('set and confirm an address, then "Forgot password?" by mail', async () => {
  const email = `mail-owner-${Date.now()}@example.test`;
  const laptop = await openPage(browser, server.url);
  await signUp(laptop.page, 'mail-owner');
  await go(laptop.page, '/account');
  await laptop.page.getByText('No confirmed address').waitFor();
  await laptop.page.getByRole('textbox', { name: 'E-mail address' }).fill(email);
  await laptop.page.getByRole('button', { name: 'Send confirmation link' }).click();
  await laptop.page.getByText(`A link is on its way to ${email}`).waitFor();
  await laptop.page.getByText('Not confirmed').waitFor();
  await screenshot(laptop.page, 'account-email-pending');

  // The mail is read on a phone that is not signed in.
  const link = linkIn(await smtp.waitFor((m) => m.to.includes(email)), 'verify-email');
  const phone = await openPage(browser, server.url, { viewport: { width: 375, height: 740 } });
  await phone.page.goto(`/#/verify-email/${tokenOf(link)}`);
  await phone.page.getByText(`${email} is now your account's e-mail address.`).waitFor();
  await screenshot(phone.page, 'verify-email-done');
  await laptop.page.reload();
  await laptop.page.getByTestId('email-state').getByText('Confirmed', { exact: true }).waitFor();

  // Forgot password, from the signed-out phone.
  await phone.page.goto('/#/signin');
  await phone.page.getByRole('link', { name: 'Forgot password?' }).click();
  await phone.page.getByLabel('Username or e-mail address').fill(email);
  await phone.page.getByRole('button', { name: 'Send me a reset link' }).click();
  await phone.page.getByText('If an account matches and has a confirmed e-mail address').waitFor();
  await screenshot(phone.page, 'forgot-password-sent');
  const reset = linkIn(await smtp.waitFor((m) => m.to.includes(email) && m.subject === 'Reset your Stockade password'), 'reset');
  await go(phone.page, `/reset/${tokenOf(reset)}`);
  await phone.page.getByText('For the account mail-owner').waitFor();
  const fresh = 'a phone-typed brand new passphrase';
  await phone.page.getByLabel('New password', { exact: true }).fill(fresh);
  await phone.page.getByLabel('New password again').fill(fresh);
  await phone.page.getByRole('button', { name: 'Set password' }).click();
  await phone.page.getByText('Your new password is set. Sign in with it.').waitFor();
  await signIn(phone.page, 'mail-owner', fresh);

  // The laptop's session ended with the reset.
  await laptop.page.reload();
  await laptop.page.getByRole('heading', { name: 'Sign in' }).waitFor();

  assert.deepEqual(unexpectedProblems(laptop.problems), []);
  assert.deepEqual(unexpectedProblems(phone.problems), []);
  await laptop.context.close();
  await phone.context.close();
});
