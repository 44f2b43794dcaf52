import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../support/app.js';
import { TestClient } from '../support/client.js';
import { launchChromium, openPage, screenshot, unexpectedProblems } from './support/browser.js';
import { go, signIn } from './support/flows.js';
import { startWebServer } from './support/stockade.js';

/*
 * A stock count through the UI on a phone (issue 17): start a count of one location, type what is on
 * the shelf (absolute numbers, never differences), see expected against counted and the variance, and
 * commit; the stock is then what was counted.
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
  for (const [sku, name, quantity, location] of [
    ['BEAN-1', 'Espresso beans 1 kg', 5, 'Shelf A1'],
    ['BEAN-2', 'Filter beans 250 g', 3, 'Shelf A1'],
    ['CUP-1', 'Paper cups', 100, 'Back room'],
  ] as const) {
    const res = await owner.post('/api/items', { sku, name, quantity, location, priceCents: 1000, costCents: 600 });
    assert.equal(res.status, 201, res.text);
    ids[sku] = res.body.item.id;
  }
});
after(async () => {
  await browser?.close();
  await server?.close();
});

const quantity = async (sku: string) => (await owner.get(`/api/items/${ids[sku]}`)).body.item.quantity as number;

test('a count of one location entered and committed on a phone', async () => {
  const { page, problems } = await openPage(browser, server.url, { viewport: PHONE });
  try {
    await signIn(page, username);
    await go(page, '/counts');
    await page.getByRole('heading', { name: 'Stock counts' }).waitFor();
    await page.getByLabel('Name (optional)').fill('Shelf A1 Monday');
    await page.getByLabel('What to count').selectOption('location');
    await page.getByLabel('Location').fill('Shelf A1');
    await page.getByRole('button', { name: 'Start count' }).click();
    await page.getByRole('heading', { name: 'Shelf A1 Monday' }).waitFor();
    assert.equal(await page.locator('.table--count tbody tr').count(), 2, 'only the location’s items');

    // Absolute numbers: 4 on the shelf where 5 were expected, 3 where 3 were.
    const saved = () => page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().includes('/lines/') && r.status() === 200);
    await page.getByLabel('Counted Espresso beans 1 kg').fill('4');
    await Promise.all([saved(), page.getByLabel('Counted Espresso beans 1 kg').press('Enter')]);
    await page.getByLabel('Counted Filter beans 250 g').fill('3');
    await Promise.all([saved(), page.getByLabel('Counted Filter beans 250 g').press('Enter')]);
    await page.getByText('2 of 2 counted · variance -1 units').waitFor();
    assert.equal(await page.locator(`[data-variance="${ids['BEAN-1']}"]`).textContent(), '-1');
    assert.equal(await page.locator(`[data-variance="${ids['BEAN-2']}"]`).textContent(), '0');
    await screenshot(page, 'count-phone', { fullPage: false });

    await page.getByRole('button', { name: 'Commit count' }).click();
    await page.getByText(/^Committed: \d+ items? adjusted/).waitFor();
    assert.equal(await quantity('BEAN-1'), 4);
    assert.equal(await quantity('BEAN-2'), 3);
    assert.equal(await quantity('CUP-1'), 100, 'items outside the count are left alone');
    assert.deepEqual(unexpectedProblems(problems), []);
  } catch (err) {
    await screenshot(page, 'FAILED-count').catch(() => {});
    throw err;
  } finally {
    await page.context().close();
  }
});

test('a count longer than a page: 50 lines, "Show more lines" loads the rest; the summary is the whole count’s', async () => {
  // 55 items at one location, named so that the last five sort onto the second page.
  for (let i = 1; i <= 55; i++) {
    const n = String(i).padStart(2, '0');
    const res = await owner.post('/api/items', { sku: `AISLE-${n}`, name: `Aisle item ${n}`, quantity: 2, location: 'Aisle 9' });
    assert.equal(res.status, 201, res.text);
  }
  const started = await owner.post('/api/counts', { name: 'Aisle 9 count', location: 'Aisle 9' });
  assert.equal(started.status, 201, started.text);
  const countId = started.body.count.id as string;
  // One line counted before the screen opens, on the second page: the summary must count it anyway.
  const last = (await owner.get('/api/items?q=AISLE-55')).body.items[0].id as string;
  assert.equal((await owner.request('PUT', `/api/counts/${countId}/lines/${last}`, { body: { counted: 5 } })).status, 200);

  const { page, problems } = await openPage(browser, server.url, { viewport: PHONE });
  try {
    await signIn(page, username);
    await go(page, `/counts/${countId}`);
    await page.getByRole('heading', { name: 'Aisle 9 count' }).waitFor();
    await page.getByText('1 of 55 counted · variance +3 units').waitFor();
    assert.equal(await page.locator('.table--count tbody tr').count(), 50, 'the first page');
    await page.getByText('50 of 55 lines shown').waitFor();
    await page.getByRole('button', { name: 'Show more lines' }).click();
    await page.getByLabel('Counted Aisle item 55').waitFor();
    assert.equal(await page.locator('.table--count tbody tr').count(), 55, 'every line, each once');
    assert.equal(await page.getByRole('button', { name: 'Show more lines' }).count(), 0, 'nothing more to load');
    assert.equal(await page.getByLabel('Counted Aisle item 55').inputValue(), '5');

    // An entry on the first page updates the whole count's summary.
    const saved = page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().includes('/lines/') && r.status() === 200);
    await page.getByLabel('Counted Aisle item 01').fill('1');
    await Promise.all([saved, page.getByLabel('Counted Aisle item 01').press('Enter')]);
    await page.getByText('2 of 55 counted · variance +2 units').waitFor();
    assert.deepEqual(unexpectedProblems(problems), []);
  } catch (err) {
    await screenshot(page, 'FAILED-count-pages').catch(() => {});
    throw err;
  } finally {
    await page.context().close();
  }
});
