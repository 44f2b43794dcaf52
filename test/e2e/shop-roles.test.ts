import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../support/app.js';
import { TestClient, uniqueUsername } from '../support/client.js';
import { launchChromium, openPage, unexpectedProblems } from './support/browser.js';
import { go, signUp } from './support/flows.js';
import { startWebServer } from './support/stockade.js';

/**
 * Role-aware screens that follow a role change at once (issue 13): a clerk switches into the owner's
 * shop with the shop switcher and sees the adjust control on an item; the owner makes them a viewer
 * through the API while the clerk's tab is open; the tab loses the adjust control without a reload
 * (the `shop.changed` event makes it re-read its role), and the clerk is still signed in.
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

test('an owner demotes a clerk to viewer while the clerk’s tab is open: the adjust control goes, no reload', async () => {
  const owner = new TestClient(server.url);
  const o = await owner.register();
  const shopId = (await server.db.query<{ shop_id: string }>('SELECT shop_id FROM memberships WHERE user_id = $1', [o.id])).rows[0]!
    .shop_id;
  const item = (await owner.post('/api/items', { sku: 'ROLE-1', name: 'Role test item', quantity: 4, costCents: 70 })).body.item;

  const { page, context, problems } = await openPage(browser, server.url);
  const username = uniqueUsername('clerk');
  await signUp(page, username);
  const clerk = (await server.deps.users.findByUsername(username))!;
  await server.db.query(`INSERT INTO memberships (shop_id, user_id, role) VALUES ($1, $2, 'clerk')`, [shopId, clerk.id]);

  // The switcher lists both shops after the next read of the session; choosing one reloads into it.
  await page.reload();
  await go(page, '/account');
  const switcher = page.getByLabel('Shop');
  await switcher.waitFor();
  await Promise.all([page.waitForEvent('load'), switcher.selectOption({ label: `${o.username}'s shop (clerk)` })]);
  await page.getByLabel('Shop').waitFor();
  assert.equal(await page.getByLabel('Shop').inputValue(), shopId, 'now working in the owner’s shop');
  await go(page, `/items/${item.id}`);
  await page.getByRole('heading', { name: 'Role test item' }).waitFor();
  const adjust = page.getByRole('button', { name: 'Save adjustment' });
  await adjust.waitFor();
  assert.equal(await page.getByRole('link', { name: 'Edit' }).count(), 0, 'a clerk does not edit items');
  assert.equal(await page.getByText('Cost', { exact: true }).count(), 0, 'a clerk sees no cost');

  await page.evaluate(() => {
    (window as unknown as { stillThisPage: boolean }).stillThisPage = true;
  });
  const demoted = await owner.patch(`/api/shop/members/${clerk.id}`, { role: 'viewer' });
  assert.equal(demoted.status, 200, demoted.text);

  await adjust.waitFor({ state: 'detached', timeout: 5000 });
  assert.equal(
    await page.evaluate(() => (window as unknown as { stillThisPage?: boolean }).stillThisPage === true),
    true,
    'no reload: the same page re-rendered',
  );
  await page.getByRole('heading', { name: 'Role test item' }).waitFor();
  assert.equal((await owner.get('/api/shop/members')).body.members.find((m: { userId: string }) => m.userId === clerk.id).role, 'viewer');
  assert.deepEqual(unexpectedProblems(problems), []);
  await context.close();
});
