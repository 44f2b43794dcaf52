import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../support/app.js';
import { TestClient } from '../support/client.js';
import { launchChromium, openPage, screenshot, unexpectedProblems } from './support/browser.js';
import { go, PASSWORD, signUp } from './support/flows.js';
import { startWebServer } from './support/stockade.js';

/**
 * Inviting staff in the browser: an owner makes a clerk invitation on the Invite staff screen (the link
 * shown once, with a copy button, and listed as pending); a new person opens the link in a fresh browser
 * context, signs up from the join page, and lands in the owner's shop as a clerk — no shop of their own —
 * where the shop's ledger names who made each movement.
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

const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

test('an owner invites a clerk; the invitee signs up from the link and works in that shop as clerk', async () => {
  const ownerName = unique('owner');
  const owner = await openPage(browser, server.url);
  await signUp(owner.page, ownerName);
  const api = new TestClient(server.url);
  assert.equal((await api.login(ownerName)).status, 200);
  assert.equal((await api.post('/api/items', { sku: 'JOIN-1', name: 'Shared shelf stock', quantity: 4 })).status, 201);

  await go(owner.page, '/account/invitations');
  await owner.page.getByRole('heading', { name: 'Invite staff' }).waitFor();
  await owner.page.getByLabel('Role').selectOption('clerk');
  await owner.page.getByRole('button', { name: 'Create invitation link' }).click();
  const link = (await owner.page.locator('.invitation-link').textContent()) ?? '';
  const token = /#\/join\/([A-Za-z0-9_-]{43})$/.exec(link)?.[1];
  assert.ok(token, `a join link: ${link}`);
  await owner.page.getByRole('button', { name: 'Copy link' }).waitFor();
  await owner.page.getByRole('button', { name: 'Withdraw clerk invitation' }).waitFor();
  await screenshot(owner.page, 'invite-staff');

  // A fresh browser profile opens the link: what it offers, then sign up straight into the shop.
  const invitee = await openPage(browser, server.url);
  await invitee.page.goto(`/#/join/${token}`);
  await invitee.page.getByText(`You are invited to join ${ownerName}'s shop as clerk.`).waitFor();
  await invitee.page.getByRole('link', { name: 'Create an account and join' }).click();
  await invitee.page.getByRole('heading', { name: 'Create your account' }).waitFor();
  await invitee.page.getByText(`Your account will join ${ownerName}'s shop as clerk.`).waitFor();
  assert.equal(await invitee.page.getByLabel('Shop name').count(), 0, 'joining opens no shop: no name to give');
  const inviteeName = unique('clerk');
  await invitee.page.getByLabel('Username').fill(inviteeName);
  await invitee.page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await invitee.page.getByLabel('Confirm password').fill(PASSWORD);
  await invitee.page.getByRole('button', { name: 'Create account' }).click();
  await invitee.page.getByRole('button', { name: 'Sign out' }).waitFor();
  await go(invitee.page, '/items');
  await invitee.page.getByText('Shared shelf stock').waitFor();

  const memberships = await server.db.query<{ role: string; name: string }>(
    'SELECT m.role, s.name FROM memberships m JOIN shops s ON s.id = m.shop_id JOIN users u ON u.id = m.user_id WHERE u.username = $1',
    [inviteeName],
  );
  assert.deepEqual(memberships.rows, [{ role: 'clerk', name: `${ownerName}'s shop` }]);

  // The link is used up: the owner's pending list is empty after a reload, and the link now says so.
  await owner.page.reload();
  await owner.page.getByText('No pending invitations.').waitFor();
  const late = await openPage(browser, server.url);
  await late.page.goto(`/#/join/${token}`);
  await late.page.getByText('This invitation is not valid').waitFor();

  // The shop's ledger says who: the owner's opening stock, by name; a filter that matches nothing says so.
  await go(invitee.page, '/ledger');
  await invitee.page.getByRole('heading', { name: 'Ledger', exact: true }).waitFor();
  const row = invitee.page.locator('tbody tr').first();
  await row.getByText(ownerName).waitFor();
  await row.getByText('Opening stock').waitFor();
  await row.getByRole('link', { name: 'Shared shelf stock' }).waitFor();
  await invitee.page.getByLabel('Reason').selectOption('sold');
  await invitee.page.getByText('No stock movements match.').waitFor();

  for (const p of [owner, invitee, late]) assert.deepEqual(unexpectedProblems(p.problems), []);
});
