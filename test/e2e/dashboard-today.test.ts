import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../support/app.js';
import { TestClient, uniqueUsername } from '../support/client.js';
import { launchChromium, openPage, screenshot, unexpectedProblems } from './support/browser.js';
import { go, signUp } from './support/flows.js';
import { startWebServer } from './support/stockade.js';

/**
 * The dashboard chart names today (issue 18, "today's bar labelled"): the last bar of the chart is
 * today in the shop's time zone (GET /api/inventory/movements/daily ends on it), and a merchant glancing
 * at the chart — or hearing it through a screen reader — should not have to work out which date that is
 * or read the figure off the axis. Deliveries of 12 and 5 and a sale of 3 today: the axis says "Today",
 * the chart's accessible name and a line under it say "Today: 17 in, 3 out", the numbers table's last row
 * is headed "Today", and the hint names the shop's time zone rather than UTC.
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

test('the chart labels today’s bar with "Today" and its figures, also for a screen reader', async () => {
  const { page, context, problems } = await openPage(browser, server.url);
  try {
    const username = uniqueUsername('today');
    await signUp(page, username);
    const api = new TestClient(server.url);
    assert.equal((await api.login(username)).status, 200);
    assert.equal((await api.patch('/api/shop', { timezone: 'Pacific/Auckland' })).status, 200);
    const item = (await api.post('/api/items', { sku: 'MILK-1', name: 'Whole milk 1 l', quantity: 4 })).body.item;
    for (const [delta, reason] of [
      [12, 'received'],
      [5, 'received'],
      [-3, 'sold'],
    ] as const) {
      const res = await api.post(`/api/items/${item.id}/adjustments`, { delta, reason });
      assert.equal(res.status, 201, res.text);
    }
    const daily = (await api.get('/api/inventory/movements/daily?days=14')).body.days;
    assert.deepEqual([daily.at(-1).unitsIn, daily.at(-1).unitsOut], [17, 3], 'the server’s last day is today');

    // A reload, so the app reads the shop's new time zone with who-am-I.
    await page.reload();
    await go(page, '/');
    const chart = page.locator('svg.chart');
    await chart.waitFor();
    await chart.getByText('Today', { exact: true }).waitFor();
    await page.getByRole('img', { name: /Today: 17 in, 3 out/ }).waitFor();
    await page.getByText('Today: 17 in, 3 out', { exact: true }).waitFor();
    assert.ok(
      await page.getByText('Today: 17 in, 3 out', { exact: true }).isVisible(),
      'the figure is on screen, not only for screen readers',
    );
    await page.getByText('Show the numbers').click();
    const lastRow = page.locator('.chart-data tbody tr').last();
    assert.equal((await lastRow.locator('th').textContent())?.trim(), 'Today');
    assert.deepEqual(await lastRow.locator('td').allTextContents(), ['17', '3']);
    await page.getByText(/Days run midnight to midnight in Pacific\/Auckland/).waitFor();
    await screenshot(page, 'dashboard-today');
    assert.deepEqual(unexpectedProblems(problems), []);
  } catch (err) {
    await screenshot(page, 'FAILED-dashboard-today').catch(() => {});
    throw err;
  } finally {
    await context.close();
  }
});
