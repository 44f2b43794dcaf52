import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { TestServer } from '../support/app.js';
import { TestClient } from '../support/client.js';
import { launchChromium, openPage, screenshot, unexpectedProblems } from './support/browser.js';
import { go, PASSWORD, signOut, signUp } from './support/flows.js';
import { startWebServer } from './support/stockade.js';

/**
 * A merchant's whole day in Chromium: sign up, add items, adjust stock (also at phone width), edit
 * through a version conflict, search and filter, import a CSV (a bad one first), export, read the
 * dashboard, sign out. Screenshots of each screen go to test-results/screenshots/.
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

const XSS_NAME = '<img src=x onerror="window.__xss=1">Widget';
const USER = 'journey-merchant';

async function createItem(page: Page, fields: Record<string, string>): Promise<void> {
  await go(page, '/items/new');
  await page.getByRole('heading', { name: 'New item' }).waitFor();
  for (const [label, value] of Object.entries(fields)) await page.getByLabel(label, { exact: true }).fill(value);
  await page.getByRole('button', { name: 'Create item' }).click();
  await page.getByRole('heading', { name: 'Adjust stock' }).waitFor();
}

async function onHand(page: Page): Promise<string> {
  return (await page.locator('#on-hand').textContent())?.trim() ?? '';
}

test('a merchant signs up, stocks, adjusts, imports, exports and signs out', async () => {
  const { page, context, problems } = await openPage(browser, server.url);
  try {
    await journey(page, context, problems);
  } catch (err) {
    await screenshot(page, 'FAILED-journey').catch(() => {});
    throw err;
  }
});

async function journey(page: Page, context: BrowserContext, problems: string[]): Promise<void> {
  // Sign-up and an empty inventory.
  await page.goto('/');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await screenshot(page, '01-sign-in');
  await page.goto('/#/signup');
  await page.getByRole('heading', { name: 'Create your account' }).waitFor();
  await screenshot(page, '02-sign-up');
  await signUp(page, USER);
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  await go(page, '/items');
  await page.getByText('You have no items yet.').waitFor();

  // Two items through the form; the second's name is an XSS attempt and must stay text.
  await go(page, '/items/new');
  await page.getByRole('heading', { name: 'New item' }).waitFor();
  await page.getByLabel('SKU', { exact: true }).fill('BOLT-10');
  await page.getByLabel('Name', { exact: true }).fill('Hex bolt M10');
  await page.getByLabel('Quantity in stock').fill('120');
  await page.getByLabel('Unit').fill('pcs');
  await page.getByLabel('Price').fill('0.25');
  await page.getByLabel('Cost').fill('0.10');
  await page.getByLabel('Low-stock threshold').fill('50');
  await page.getByLabel('Location').fill('Aisle 3');
  await page.getByLabel('Tags').fill('hardware, metric');
  await screenshot(page, '03-new-item');
  await page.getByRole('button', { name: 'Create item' }).click();
  await page.getByRole('heading', { name: 'Hex bolt M10' }).waitFor();
  assert.equal(await onHand(page), '120');
  const boltUrl = page.url();

  await createItem(page, { SKU: 'XSS-1', Name: XSS_NAME, 'Quantity in stock': '3', 'Low-stock threshold': '5' });
  await page.getByRole('heading', { name: XSS_NAME }).waitFor();
  assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
  assert.equal(await page.locator('main img').count(), 0, 'the name was not parsed as HTML');

  // Adjust: 30 sold. The reason decides the sign; the preview shows the result before saving.
  await page.goto(boltUrl);
  await page.getByRole('heading', { name: 'Adjust stock' }).waitFor();
  await page.getByLabel('Reason').selectOption('sold');
  await page.getByLabel('Change in quantity').fill('30');
  await page.getByText('becomes').waitFor({ state: 'attached' });
  assert.match((await page.locator('.adjust__preview').textContent()) ?? '', /120.*90/);
  await page.getByLabel('Note').fill('order #1001');
  await page.getByRole('button', { name: 'Save adjustment' }).click();
  await page.getByRole('cell', { name: '−30' }).waitFor();
  assert.equal(await onHand(page), '90');
  const history = page.locator('.table--movements tbody tr');
  assert.equal(await history.count(), 2, 'the opening stock and the sale');
  assert.match((await history.first().textContent()) ?? '', /−30.*90.*Sold.*order #1001/);
  await screenshot(page, '04-item-adjusted');

  // Taking out more than is there is refused with a clear message; nothing changes.
  await page.getByLabel('Reason').selectOption('lost');
  await page.getByLabel('Change in quantity').fill('500');
  await page.getByRole('button', { name: 'Save adjustment' }).click();
  await page.getByText('Not enough stock').waitFor();
  assert.equal(await onHand(page), '90');

  // At phone width in the stock room: a delivery of 10, with the + stepper.
  const phone = await openPage(browser, server.url, { viewport: { width: 375, height: 740 } });
  await phone.page.goto('/#/signin');
  await phone.page.getByLabel('Username').fill(USER);
  await phone.page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await phone.page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await phone.page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  await phone.page.goto(boltUrl);
  await phone.page.getByLabel('Reason').selectOption('received');
  await phone.page.getByLabel('Change in quantity').fill('9');
  await phone.page.getByRole('button', { name: 'Increase by one' }).click();
  assert.equal(await phone.page.getByLabel('Change in quantity').inputValue(), '10');
  const save = phone.page.getByRole('button', { name: 'Save adjustment' });
  const box = await save.boundingBox();
  assert.ok(box && box.x >= 0 && box.x + box.width <= 375, 'the save button fits the phone screen');
  assert.ok(await phone.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling at 375 px');
  await save.click();
  await phone.page.getByRole('cell', { name: '+10' }).waitFor();
  assert.equal(await onHand(phone.page), '100');
  await screenshot(phone.page, '05-adjust-phone-375px');
  await phone.page.goto(`${server.url}/#/items`);
  await phone.page.getByRole('link', { name: 'Hex bolt M10' }).waitFor();
  await screenshot(phone.page, '06-inventory-phone-375px');
  assert.deepEqual(unexpectedProblems(phone.problems), []);
  await phone.context.close();

  // Edit through a version conflict: someone else renames the item while this form is open.
  await page.goto(boltUrl);
  await page.getByRole('link', { name: 'Edit' }).click();
  await page.getByRole('heading', { name: 'Edit Hex bolt M10' }).waitFor();
  const other = new TestClient(server.url);
  assert.equal((await other.login(USER)).status, 200);
  const id = decodeURIComponent(boltUrl.split('/items/')[1] ?? '');
  const current = await other.get(`/api/items/${id}`);
  const renamed = await other.patch(`/api/items/${id}`, { name: 'Hex bolt M10 zinc', version: current.body.item.version });
  assert.equal(renamed.status, 200);
  await page.getByLabel('Price').fill('0.30');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByRole('heading', { name: 'Someone else changed this item' }).waitFor();
  const conflict = page.locator('.conflict');
  assert.match((await conflict.textContent()) ?? '', /Hex bolt M10 zinc/);
  assert.match((await conflict.textContent()) ?? '', /0\.30/);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'conflict-title', 'focus moves to the conflict so it is announced');
  await screenshot(page, '07-edit-conflict');
  await page.getByRole('button', { name: 'Apply my changes to the new version' }).click();
  assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'Hex bolt M10 zinc');
  assert.equal(await page.getByLabel('Price').inputValue(), '0.30');
  await page.getByRole('button', { name: 'Save changes' }).click();
  // exact: the edit form's own heading ("Edit Hex bolt M10 zinc") would match a substring at once.
  await page.getByRole('heading', { name: 'Hex bolt M10 zinc', exact: true }).waitFor();
  const saved = await other.get(`/api/items/${id}`);
  assert.equal(saved.body.item.priceCents, 30);
  assert.equal(saved.body.item.name, 'Hex bolt M10 zinc');

  // CSV import: the server's dry run previews a file with bad rows; nothing can be imported until fixed.
  await go(page, '/import');
  await page.getByRole('heading', { name: 'Import & export' }).waitFor();
  const bad = [
    'SKU,Name,Qty,Price,Reorder level,Tags',
    'NUT-10,Hex nut M10,200,0.05,20,hardware',
    'NUT-12,Hex nut M12,-4,0.06,20,hardware',
    'WASHER,,50,"0,02",10,hardware',
  ].join('\n');
  await page.getByLabel('CSV file').setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
  await page.locator('[data-preview="counts"]', { hasText: '2 problems' }).waitFor();
  const problemsListed = page.locator('.preview .error-list li');
  assert.equal(await problemsListed.count(), 2);
  assert.match((await problemsListed.nth(0).textContent()) ?? '', /^Row 2 Qty: “-4”/);
  assert.match((await problemsListed.nth(1).textContent()) ?? '', /^Row 3 Name/);
  assert.equal(await page.getByRole('button', { name: 'Import these changes' }).isDisabled(), true);
  await screenshot(page, '08-import-row-errors');
  assert.equal((await other.get('/api/inventory/summary')).body.itemCount, 2, 'nothing was written');

  // A good file: 55 new items, enough for a second page in the list; previewed, then confirmed.
  const lines = ['SKU,Name,Quantity,Cost,Price,Low-stock threshold,Location,Tags'];
  for (let i = 1; i <= 55; i++) {
    lines.push(`SCREW-${String(i).padStart(3, '0')},Wood screw ${i},${i * 2},0.03,0.09,10,Aisle 4,hardware;wood`);
  }
  await page.getByLabel('CSV file').setInputFiles({
    name: 'screws.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(lines.join('\r\n')),
  });
  await page.locator('[data-preview="counts"]', { hasText: '55 new, 0 changed, 0 unchanged' }).waitFor();
  await screenshot(page, '09-import-preview');
  await page.getByRole('button', { name: 'Import these changes' }).click();
  await page.locator('.notice', { hasText: '55 created, 0 updated' }).waitFor();
  await page.getByRole('button', { name: 'Undo this import' }).waitFor();
  await screenshot(page, '09-import-done');

  // Export: a real download of every item.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
  const csv = await readFile((await download.path()) ?? '', 'utf8');
  const rows = csv.trim().split(/\r?\n/);
  assert.equal(rows.length, 1 + 57);
  assert.match(rows[0] ?? '', /^SKU,Name,/);
  assert.ok(csv.includes('BOLT-10') && csv.includes('SCREW-055') && csv.includes('XSS-1'));

  // The list: paging, search, low-stock filter, sort; the XSS name is text.
  await go(page, '/items');
  await page.getByRole('button', { name: 'Show more items' }).waitFor();
  const listRows = page.locator('.table--items tbody tr');
  assert.equal(await listRows.count(), 50);
  await page.getByRole('button', { name: 'Show more items' }).click();
  // Not the button by its name: it is renamed "Loading…" the moment it is clicked, before the rows come.
  // The whole "more" bar goes only once the last page is in.
  await page.locator('.more').waitFor({ state: 'detached' });
  assert.equal(await listRows.count(), 57);
  await page.getByRole('link', { name: XSS_NAME }).waitFor();
  assert.equal(await page.locator('main img').count(), 0);
  await screenshot(page, '10-inventory');

  // Each filter change is one list request; wait for it, then for the rows it brought.
  const listed = () => page.waitForResponse((r) => r.url().includes('/api/items?') && r.status() === 200);
  const rowCount = (n: number) => page.waitForFunction((want) => document.querySelectorAll('.table--items tbody tr').length === want, n);
  // The list searches as you type (once typing pauses): the request follows the fill by itself.
  await Promise.all([listed(), page.getByLabel('Search by name or SKU').fill('bolt')]);
  await rowCount(1);
  assert.match((await listRows.first().textContent()) ?? '', /Hex bolt M10 zinc/);
  await Promise.all([listed(), page.getByLabel('Search by name or SKU').fill('')]);
  await rowCount(50);
  await Promise.all([listed(), page.getByLabel('Low stock only').click()]);
  await rowCount(6);
  assert.equal(await page.getByLabel('Low stock only').isChecked(), true);
  // Low: XSS-1 (3 ≤ 5) and SCREW-001..005 (2..10 ≤ 10).
  assert.match((await page.locator('.table--items').textContent()) ?? '', /XSS-1/);
  await Promise.all([listed(), page.getByLabel('Sort by').selectOption('quantity')]);
  await page.waitForFunction(() => document.querySelector('.table--items tbody tr td.num')?.textContent === '2');
  assert.ok(page.url().includes('low=1') && page.url().includes('sort=quantity'), 'filters live in the address');
  await screenshot(page, '11-inventory-low-stock');

  // Dashboard: the summary, the low-stock list and the chart of this session's movements, from one
  // request for the per-day totals (never the per-item ledgers).
  const ledgerReads: string[] = [];
  const onRequest = (r: { url(): string }) => {
    if (/\/api\/items\/[^/?]+\/movements/.test(r.url())) ledgerReads.push(r.url());
  };
  page.on('request', onRequest);
  const daily = page.waitForResponse((r) => r.url().includes('/api/inventory/movements/daily?days=14'));
  await go(page, '/');
  const dailyRes = await daily;
  assert.equal(dailyRes.status(), 200);
  const today = ((await dailyRes.json()) as { days: { unitsIn: number; unitsOut: number }[] }).days.at(-1);
  assert.ok(today && today.unitsIn > 0 && today.unitsOut > 0, JSON.stringify(today));
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  await page.locator('[data-stat="itemCount"]', { hasText: '57' }).waitFor();
  assert.equal(await page.locator('[data-stat="lowStockCount"]').textContent(), '6');
  // 100 bolts + 3 + sum(2..110 step 2) = 103 + 3080
  assert.equal(await page.locator('[data-stat="totalUnits"]').textContent(), '3,183');
  await page.locator('svg.chart').waitFor();
  assert.ok((await page.locator('svg.chart rect.chart__in').count()) >= 14);
  // The numbers table's last row is today, with the figures the server sent.
  const lastRow = page.locator('.chart-data tbody tr').last().locator('td');
  assert.deepEqual(
    await lastRow.allTextContents(),
    [today.unitsIn, today.unitsOut].map((n) => n.toLocaleString('en-US')),
  );
  page.off('request', onRequest);
  assert.deepEqual(ledgerReads, [], 'the dashboard reads no item ledgers');
  await page.getByRole('link', { name: XSS_NAME }).waitFor();
  await screenshot(page, '12-dashboard');

  await signOut(page);
  await page.getByText('You have signed out.').waitFor();
  await screenshot(page, '13-signed-out');
  const jar = await context.cookies(server.url);
  assert.ok(!jar.some((c) => c.name.endsWith('sid')), 'the cookie is gone after sign-out');

  assert.deepEqual(unexpectedProblems(problems), [], 'no script errors and no CSP refusals');
  await context.close();
}
