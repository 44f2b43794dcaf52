import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { ensureAdmin } from '../../src/auth/bootstrap-admin.js';
import type { TestServer } from '../support/app.js';
import { TestClient, uniqueUsername } from '../support/client.js';
import { launchChromium, openPage } from './support/browser.js';
import { go, PASSWORD, signInHere, signUp } from './support/flows.js';
import { startWebServer } from './support/stockade.js';

/**
 * The app explains a session's end by itself (issue 19): an administrator revokes a merchant who has two
 * tabs open; both tabs say so within a second, without a click, through the one event stream the
 * browser holds (counted on the server). After a reload the reason, the username and the unsaved draft
 * are still there.
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

const poll = async (what: string, cond: () => boolean, timeoutMs = 10_000) => {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

test('an admin revokes the merchant: both open tabs say why within a second, through one stream', async () => {
  const { page, context } = await openPage(browser, server.url);
  const username = uniqueUsername('tabs');
  await signUp(page, username);
  const second = await context.newPage();
  await second.goto('/#/items');
  await second.getByRole('heading', { name: 'Inventory' }).waitFor();
  // A draft in the first tab: an item being typed, not saved.
  await go(page, '/items/new');
  await page.getByLabel('Name').fill('Oat milk, unsaved');

  await poll('the browser opened its stream', () => server.deps.events.size === 1);
  // Both tabs are signed in; still one stream a moment later (the second tab listens to the first).
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(server.deps.events.size, 1, 'two tabs, one stream');

  const adminName = uniqueUsername('admin');
  await ensureAdmin(server.deps.users, server.deps.authenticator, adminName, PASSWORD);
  const admin = new TestClient(server.url);
  assert.equal((await admin.login(adminName)).status, 200);
  const merchant = (await server.deps.users.findByUsername(username))!;
  assert.equal((await admin.post(`/api/admin/users/${merchant.id}/revoke-sessions`)).status, 200);

  // Within a second, in both tabs, with nobody touching them.
  const said = 'An administrator signed you out.';
  await Promise.all([page.getByText(said).waitFor({ timeout: 1000 }), second.getByText(said).waitFor({ timeout: 1000 })]);
  await poll('the stream closed', () => server.deps.events.size === 0);
  assert.equal(await page.getByLabel('Username').inputValue(), username, 'the sign-in form keeps the username');

  // A reload keeps the reason, the username and the draft.
  await page.reload();
  await page.getByText(said).waitFor();
  assert.equal(await page.getByLabel('Username').inputValue(), username);
  await signInHere(page, username);
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  await go(page, '/items/new');
  assert.equal(await page.getByLabel('Name').inputValue(), 'Oat milk, unsaved', 'the draft survived the reload');
  // Signed in again: a stream again (one for the browser).
  await poll('a new stream', () => server.deps.events.size === 1);
  await context.close();
});

test('signed out from another device: the tab says so within a second', async () => {
  const { page, context } = await openPage(browser, server.url);
  const username = uniqueUsername('idle');
  await signUp(page, username);
  await page.reload();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  await poll('stream', () => server.deps.events.size >= 1);
  // Another device of the same merchant ends this session (DELETE /api/sessions/:id).
  const other = new TestClient(server.url);
  assert.equal((await other.login(username)).status, 200);
  const mine = (await other.get('/api/sessions')).body.sessions as { id: string; current: boolean }[];
  for (const s of mine.filter((x) => !x.current)) assert.equal((await other.delete(`/api/sessions/${s.id}`)).status, 204);
  await page.getByText('You signed out on another device.').waitFor({ timeout: 1000 });
  await context.close();
});
