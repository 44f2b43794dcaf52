import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../support/app.js';
import { TestClient } from '../support/client.js';
import { launchChromium, openPage, screenshot, unexpectedProblems } from './support/browser.js';
import { go, signIn } from './support/flows.js';
import { startWebServer } from './support/stockade.js';

/*
 * Archive instead of delete, in the web app (issue 17): the item screen's "Archive" takes an item out of
 * the list (its history kept), and the list's "Archived items" filter finds it again for "Restore".
 */

const PHONE = { width: 390, height: 844 };

let server: TestServer;
let browser: Browser;
let owner: TestClient;
let username: string;
const ids: Record<string, string> = {};

before(async () => {
  [server, browser] = await Promise.all([startWebServer(), launchChromium()]);
  owner = new TestClient(server.url);
  username = (await owner.register()).username;
  for (const [sku, name] of [
    ['BEAN-1', 'Espresso beans 1 kg'],
    ['CUP-1', 'Paper cups'],
  ] as const) {
    const res = await owner.post('/api/items', { sku, name, quantity: 5 });
    assert.equal(res.status, 201, res.text);
    ids[sku] = res.body.item.id;
  }
});
after(async () => {
  await browser?.close();
  await server?.close();
});

test('archive from the item screen, restore from the archived list', async () => {
  const { page, problems } = await openPage(browser, server.url, { viewport: PHONE });
  try {
    await signIn(page, username);
    await go(page, `/items/${ids['CUP-1']}`);
    await page.getByRole('heading', { name: 'Paper cups' }).waitFor();
    await page.getByRole('button', { name: 'Archive', exact: true }).click();
    await page.getByRole('button', { name: 'Archive item' }).click();
    await page.getByRole('heading', { name: 'Inventory' }).waitFor();
    await page.getByRole('link', { name: 'Espresso beans 1 kg' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Paper cups' }).count(), 0, 'gone from the list');
    await page.getByLabel('Archived items').check();
    await page.getByRole('link', { name: 'Paper cups' }).click();
    await page.getByRole('button', { name: 'Restore' }).click();
    await page.getByText('Restored Paper cups.').waitFor();
    await page.getByRole('button', { name: 'Archive', exact: true }).waitFor();
    assert.equal((await owner.get(`/api/items/${ids['CUP-1']}`)).body.item.archivedAt, null);
    assert.deepEqual(unexpectedProblems(problems), []);
  } catch (err) {
    await screenshot(page, 'FAILED-archive').catch(() => {});
    throw err;
  } finally {
    await page.context().close();
  }
});
