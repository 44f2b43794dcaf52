import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { shopsChanged } from '../../src/shops/shop-notices.js';
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
  // Made in SQL, so told as the app's own membership changes tell it: who-am-I's copies are forgotten.
  await shopsChanged({ bus: server.deps.sessionStack?.bus, shopsCache: server.deps.shopsCache }, clerk.id);

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

test('the owner’s Shop screen: settings saved, a member’s role changed and a member removed', async () => {
  const { page, context, problems } = await openPage(browser, server.url);
  const ownerName = uniqueUsername('owner');
  await signUp(page, ownerName);
  const ownerUser = (await server.deps.users.findByUsername(ownerName))!;
  const shopId = (await server.db.query<{ shop_id: string }>('SELECT shop_id FROM memberships WHERE user_id = $1', [ownerUser.id])).rows[0]!
    .shop_id;
  const staff = new TestClient(server.url);
  const s = await staff.register();
  await server.db.query(`INSERT INTO memberships (shop_id, user_id, role) VALUES ($1, $2, 'clerk')`, [shopId, s.id]);
  assert.equal((await staff.post('/api/auth/shop', { shopId })).status, 200);

  await go(page, '/account/shop');
  await page.getByRole('heading', { name: 'Shop settings' }).waitFor();
  await page.getByLabel('Shop name').fill('Corner shop');
  await page.getByLabel('Time zone').selectOption('Pacific/Auckland');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.getByText('Shop settings saved.').waitFor();
  const settings = (await staff.get('/api/shop')).body.shop;
  assert.deepEqual([settings.name, settings.timezone], ['Corner shop', 'Pacific/Auckland']);

  await page.getByLabel(`Role of ${s.username}`).selectOption('viewer');
  await page.getByText(`${s.username} is now viewer.`).waitFor();
  assert.equal((await staff.get('/api/auth/session')).body.shop.role, 'viewer');
  await page.getByRole('button', { name: `Remove ${s.username}` }).click();
  await page.getByText(`${s.username} was removed.`).waitFor();
  assert.equal((await staff.get('/api/auth/session')).body.shop, null, 'out of the shop');
  assert.deepEqual(unexpectedProblems(problems), []);
  await context.close();
});
