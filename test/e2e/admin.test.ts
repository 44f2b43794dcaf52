import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { ensureAdmin } from '../../src/auth/bootstrap-admin.js';
import type { TestServer } from '../support/app.js';
import { TestClient } from '../support/client.js';
import { launchChromium, openPage, screenshot, unexpectedProblems } from './support/browser.js';
import { go, PASSWORD, signIn, signUp } from './support/flows.js';
import { startWebServer } from './support/stockade.js';

/**
 * The admin screen: users with their active sessions, the kill switch (every session of a user ends at
 * once), disable/enable and role. Admins have no inventory, so the app doesn't offer them one.
 */

let server: TestServer;
let browser: Browser;

before(async () => {
  [server, browser] = await Promise.all([startWebServer(), launchChromium()]);
  // What BOOTSTRAP_ADMIN_USERNAME/PASSWORD does at start in main.ts.
  await ensureAdmin(server.deps.users, server.deps.authenticator, 'chief', PASSWORD);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test("an admin ends a merchant's sessions, disables and re-enables an account, and changes a role", async () => {
  const merchant = await openPage(browser, server.url);
  await signUp(merchant.page, 'shop-one');
  const other = new TestClient(server.url);
  await other.register('shop-two');

  const admin = await openPage(browser, server.url);
  await signIn(admin.page, 'chief');
  await admin.page.getByRole('heading', { name: 'Users' }).waitFor();
  assert.equal(await admin.page.getByRole('link', { name: 'Inventory' }).count(), 0, 'no inventory for admins');
  const row = (name: string) => admin.page.locator('.table--users tbody tr', { hasText: name });
  await row('shop-one').waitFor();
  assert.match((await row('shop-one').textContent()) ?? '', /Active/);
  await screenshot(admin.page, 'admin-users');

  // The kill switch: the merchant's tab says so at once, without a click (its event stream, issue 19).
  await admin.page.getByRole('button', { name: 'End sessions of shop-one' }).click();
  await admin.page.getByText('Ended 1 session of shop-one.').waitFor();
  await merchant.page.getByText('An administrator signed you out.').waitFor();

  // Disable: the account cannot sign in (the same answer as a wrong password); enable: it can again.
  await admin.page.getByRole('button', { name: 'Disable shop-two' }).click();
  await row('shop-two').getByText('Disabled').waitFor();
  assert.equal((await other.login('shop-two')).status, 401);
  await admin.page.getByRole('button', { name: 'Enable shop-two' }).click();
  await row('shop-two').getByText('Active').waitFor();
  assert.equal((await other.login('shop-two')).status, 200);

  // Role.
  await admin.page.getByLabel('Role of shop-two').selectOption('admin');
  await admin.page.getByText('shop-two is now an administrator.').waitFor();
  const listed = await new TestClient(server.url);
  assert.equal((await listed.login('shop-two')).body.user.role, 'admin');
  await screenshot(admin.page, 'admin-users-after');

  // An admin typing an inventory address gets "not found", not a broken screen.
  await go(admin.page, '/items');
  await admin.page.getByRole('heading', { name: 'Page not found' }).waitFor();

  assert.deepEqual(unexpectedProblems(admin.problems), []);
  await merchant.context.close();
  await admin.context.close();
});

test('the leaked-password playbook in the browser: the admin hands out a reset link, the merchant sets a new password with it', async () => {
  const merchant = await openPage(browser, server.url);
  await signUp(merchant.page, 'shop-leaked');

  const admin = await openPage(browser, server.url);
  await signIn(admin.page, 'chief');
  admin.page.on('dialog', (dialog) => void dialog.accept());
  await admin.page.getByRole('button', { name: 'Reset password of shop-leaked' }).click();
  const linkBox = admin.page.getByRole('textbox', { name: 'Reset link for shop-leaked' });
  await linkBox.waitFor();
  const link = await linkBox.inputValue();
  assert.match(link, /\/#\/reset\/[A-Za-z0-9_-]{43}$/);
  assert.equal((await new TestClient(server.url).login('shop-leaked')).status, 401, 'the old password stopped working at once');

  // The merchant's open tab lost its session; the link (opened in the same browser) sets a new password.
  const token = link.slice(link.lastIndexOf('/') + 1);
  await go(merchant.page, `/reset/${token}`);
  await merchant.page.getByText('For the account shop-leaked').waitFor();
  await merchant.page.getByLabel('New password', { exact: true }).fill('short');
  await merchant.page.getByLabel('New password again').fill('short');
  await merchant.page.getByRole('button', { name: 'Set password' }).click();
  await merchant.page.getByText('Use at least 8 characters.').waitFor();
  const fresh = 'a brand new, long passphrase';
  await merchant.page.getByLabel('New password', { exact: true }).fill(fresh);
  await merchant.page.getByLabel('New password again').fill(fresh);
  await merchant.page.getByRole('button', { name: 'Set password' }).click();
  await merchant.page.getByText('Your new password is set. Sign in with it.').waitFor();
  await signIn(merchant.page, 'shop-leaked', fresh);

  // The link is spent: opening it again says so.
  await go(merchant.page, `/reset/${token}`);
  await merchant.page.getByText('This link has already been used or has expired.').first().waitFor();

  assert.deepEqual(unexpectedProblems(admin.problems), []);
  await merchant.context.close();
  await admin.context.close();
});
