import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../support/app.js';
import { TestClient } from '../support/client.js';
import { launchChromium, openPage, SCREENSHOTS, unexpectedProblems } from './support/browser.js';
import { go, PASSWORD, signIn, signUp } from './support/flows.js';
import { startWebServer } from './support/stockade.js';

/**
 * The README's screenshots, taken of a shop that looks like a real one (issue 18: the old dashboard shot
 * showed the journey test's XSS item `<img src=x …>`). A small café, "Corner Coffee", with two weeks of
 * deliveries and sales (the ledger's rows moved back in time in the database: the API only ever writes
 * "now"), a few items running low, and a spreadsheet whose "Shelf code" column is placed by hand in the import
 * preview. Each shot first checks that the page shows no test data: no markup-looking text and no
 * generated names.
 *
 * The shots land in test-results/screenshots/readme/; to retake the README's, run
 *   npm test -- test/e2e/readme-screenshots.test.ts && cp test-results/screenshots/readme/*.png web/screenshots/
 */

let server: TestServer;
let browser: Browser;
const OUT = join(SCREENSHOTS, 'readme');
const USER = 'corner-coffee';

before(async () => {
  [server, browser] = await Promise.all([startWebServer(), launchChromium()]);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

interface Stock {
  sku: string;
  name: string;
  quantity: number;
  unit: string;
  priceCents: number;
  costCents: number;
  lowStockThreshold: number;
  location: string;
  tags: string[];
}

const STOCK: Stock[] = [
  {
    sku: 'BEAN-ESP-1K',
    name: 'Espresso beans 1 kg',
    quantity: 40,
    unit: 'bag',
    priceCents: 2450,
    costCents: 1390,
    lowStockThreshold: 8,
    location: 'Store room A1',
    tags: ['coffee'],
  },
  {
    sku: 'BEAN-FIL-250',
    name: 'Filter beans Ethiopia 250 g',
    quantity: 30,
    unit: 'bag',
    priceCents: 990,
    costCents: 520,
    lowStockThreshold: 10,
    location: 'Shelf B1',
    tags: ['coffee', 'retail'],
  },
  {
    sku: 'BEAN-DEC-250',
    name: 'Decaf beans 250 g',
    quantity: 5,
    unit: 'bag',
    priceCents: 950,
    costCents: 510,
    lowStockThreshold: 6,
    location: 'Shelf B1',
    tags: ['coffee', 'retail'],
  },
  {
    sku: 'MILK-WHOLE-1L',
    name: 'Whole milk 1 l',
    quantity: 60,
    unit: 'carton',
    priceCents: 0,
    costCents: 109,
    lowStockThreshold: 24,
    location: 'Fridge',
    tags: ['milk'],
  },
  {
    sku: 'MILK-OAT-1L',
    name: 'Oat drink barista 1 l',
    quantity: 36,
    unit: 'carton',
    priceCents: 0,
    costCents: 219,
    lowStockThreshold: 12,
    location: 'Fridge',
    tags: ['milk'],
  },
  {
    sku: 'CUP-8OZ',
    name: 'Paper cups 8 oz, sleeve of 50',
    quantity: 30,
    unit: 'sleeve',
    priceCents: 0,
    costCents: 300,
    lowStockThreshold: 6,
    location: 'Store room C2',
    tags: ['takeaway'],
  },
  {
    sku: 'CUP-12OZ',
    name: 'Paper cups 12 oz, sleeve of 50',
    quantity: 24,
    unit: 'sleeve',
    priceCents: 0,
    costCents: 400,
    lowStockThreshold: 6,
    location: 'Store room C2',
    tags: ['takeaway'],
  },
  {
    sku: 'LID-80',
    name: 'Cup lids 80 mm, sleeve of 100',
    quantity: 25,
    unit: 'sleeve',
    priceCents: 0,
    costCents: 300,
    lowStockThreshold: 5,
    location: 'Store room C2',
    tags: ['takeaway'],
  },
  {
    sku: 'SYR-VAN',
    name: 'Vanilla syrup 700 ml',
    quantity: 6,
    unit: 'bottle',
    priceCents: 0,
    costCents: 690,
    lowStockThreshold: 3,
    location: 'Bar',
    tags: ['syrup'],
  },
  {
    sku: 'SYR-CAR',
    name: 'Caramel syrup 700 ml',
    quantity: 2,
    unit: 'bottle',
    priceCents: 0,
    costCents: 690,
    lowStockThreshold: 3,
    location: 'Bar',
    tags: ['syrup'],
  },
  {
    sku: 'TEA-EG',
    name: 'Earl Grey tea, 100 bags',
    quantity: 3,
    unit: 'box',
    priceCents: 0,
    costCents: 450,
    lowStockThreshold: 3,
    location: 'Shelf B2',
    tags: ['tea'],
  },
  {
    sku: 'MUG-LOGO',
    name: 'Corner Coffee mug',
    quantity: 24,
    unit: 'pcs',
    priceCents: 1400,
    costCents: 520,
    lowStockThreshold: 6,
    location: 'Shelf B3',
    tags: ['retail'],
  },
  {
    sku: 'CHOC-BAR',
    name: 'Dark chocolate bar 70 %',
    quantity: 30,
    unit: 'pcs',
    priceCents: 350,
    costCents: 160,
    lowStockThreshold: 10,
    location: 'Counter',
    tags: ['retail', 'snacks'],
  },
  {
    sku: 'COOKIE-OAT',
    name: 'Oat cookie',
    quantity: 48,
    unit: 'pcs',
    priceCents: 280,
    costCents: 90,
    lowStockThreshold: 12,
    location: 'Counter',
    tags: ['snacks'],
  },
];

/** Per day (13 days ago … today): what was used or sold, by SKU, and deliveries on some days. */
function dayPlan(daysAgo: number): { sold: Record<string, number>; received: Record<string, number> } {
  // Deterministic, uneven figures: a week's rhythm with a busier weekend.
  const busy = [1, 1.1, 0.9, 1, 1.3, 1.8, 1.5][daysAgo % 7] ?? 1;
  const n = (base: number) => Math.round(base * busy);
  const sold = {
    'MILK-WHOLE-1L': n(4),
    'MILK-OAT-1L': n(2),
    'CUP-8OZ': n(1.2),
    'CUP-12OZ': n(1),
    'LID-80': daysAgo % 3 === 0 ? 2 : 1,
    'BEAN-ESP-1K': daysAgo % 2 === 0 ? 2 : 1,
    'COOKIE-OAT': n(3),
  };
  const received: Record<string, number> = {};
  if (daysAgo % 4 === 1) Object.assign(received, { 'MILK-WHOLE-1L': 24, 'MILK-OAT-1L': 12 });
  if (daysAgo === 9) Object.assign(received, { 'CUP-8OZ': 10, 'CUP-12OZ': 10, 'LID-80': 10 });
  if (daysAgo === 6) Object.assign(received, { 'BEAN-ESP-1K': 10, 'COOKIE-OAT': 24 });
  if (daysAgo === 0) Object.assign(received, { 'MILK-WHOLE-1L': 12, 'BEAN-FIL-250': 6 });
  return { sold, received };
}

/** No test data in the shot: nothing that looks like markup, no generated user names. */
async function assertPresentable(page: Page): Promise<void> {
  const text = await page.evaluate(() => document.body.innerText);
  assert.doesNotMatch(text, /[<>]/, 'no markup-looking text on a README screenshot');
  assert.doesNotMatch(text, /\buser-[0-9a-f]{6,}|__xss/, 'no generated names on a README screenshot');
}

async function shoot(page: Page, name: string, opts: { fullPage?: boolean } = {}): Promise<void> {
  await assertPresentable(page);
  // The status toast fades by itself after a few seconds; a screenshot is no place for it.
  await page.locator('.toast').waitFor({ state: 'detached', timeout: 20_000 });
  // Nor the focus ring the screen's heading gets after a route change (PageTitle).
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  mkdirSync(OUT, { recursive: true });
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: opts.fullPage ?? true });
}

test('README screenshots of a real-looking shop: dashboard, import preview, phone list, adjusting at phone width', async () => {
  const { page, context, problems } = await openPage(browser, server.url);
  await signUp(page, USER);
  const api = new TestClient(server.url);
  assert.equal((await api.login(USER)).status, 200);
  assert.equal((await api.patch('/api/shop', { name: 'Corner Coffee', currency: 'EUR', timezone: 'UTC' })).status, 200);
  const shopId = (await api.get('/api/shop')).body.shop.id as string;
  const ids = new Map<string, string>();
  for (const item of STOCK) {
    // Milk and cups are used, not sold: no price, as a café would leave it.
    const { priceCents, ...rest } = item;
    const res = await api.post('/api/items', priceCents > 0 ? item : rest);
    assert.equal(res.status, 201, res.text);
    ids.set(item.sku, res.body.item.id);
  }
  const backdate = async (since: string, days: number) =>
    server.db.query(`UPDATE movements SET created_at = created_at - make_interval(days => $1) WHERE shop_id = $2 AND created_at >= $3`, [
      days,
      shopId,
      since,
    ]);
  const clock = async () => (await server.db.query<{ t: string }>('SELECT clock_timestamp()::text AS t')).rows[0]!.t;
  await backdate('-infinity', 14); // the opening stock, two weeks ago
  for (let daysAgo = 13; daysAgo >= 0; daysAgo--) {
    const since = await clock();
    const { sold, received } = dayPlan(daysAgo);
    for (const [sku, delta] of Object.entries(received)) {
      const res = await api.post(`/api/items/${ids.get(sku)}/adjustments`, { delta, reason: 'received' });
      assert.equal(res.status, 201, res.text);
    }
    for (const [sku, used] of Object.entries(sold)) {
      const res = await api.post(`/api/items/${ids.get(sku)}/adjustments`, { delta: -used, reason: 'sold' });
      assert.equal(res.status, 201, res.text);
    }
    if (daysAgo > 0) await backdate(since, daysAgo);
  }

  // The dashboard, today's bars named.
  await page.reload();
  await go(page, '/');
  await page.locator('svg.chart').getByText('Today', { exact: true }).waitFor();
  await page.locator('.lowlist li').first().waitFor();
  await shoot(page, 'dashboard');

  // The import preview: a spreadsheet with its own headers, one column placed by hand, changes from → to.
  await go(page, '/import');
  await page.getByRole('heading', { name: 'Import & export' }).waitFor();
  const sheet = [
    'SKU,Name,Qty,Price,Reorder level,Shelf code',
    'BEAN-FIL-250,Filter beans Ethiopia 250 g,36,"10,50",10,Shelf B1',
    'MUG-LOGO,Corner Coffee mug,24,"15,00",6,Shelf B3',
    'BEAN-KEN-250,Filter beans Kenya 250 g,18,"11,50",6,Shelf B1',
    'TEA-MINT,Peppermint tea 100 bags,8,"4,20",3,Shelf B2',
  ].join('\r\n');
  await page.getByLabel('CSV file').setInputFiles({ name: 'spring-order.csv', mimeType: 'text/csv', buffer: Buffer.from(sheet) });
  await page.getByLabel('Column “Shelf code”').selectOption('location');
  await page.locator('[data-preview="counts"]', { hasText: '2 new, 2 changed' }).waitFor();
  await shoot(page, 'import-preview');

  // The item list on a phone, and a delivery at 375 px.
  const phone = await openPage(browser, server.url, { viewport: { width: 390, height: 844 } });
  await signIn(phone.page, USER, PASSWORD);
  await go(phone.page, '/items');
  await phone.page.getByRole('link', { name: 'Caramel syrup 700 ml' }).waitFor();
  await shoot(phone.page, 'phone-list', { fullPage: false });
  await phone.context.close();

  const small = await openPage(browser, server.url, { viewport: { width: 375, height: 812 } });
  await signIn(small.page, USER, PASSWORD);
  await go(small.page, `/items/${encodeURIComponent(ids.get('MILK-OAT-1L') ?? '')}`);
  await small.page.getByLabel('Reason').selectOption('received');
  await small.page.getByLabel('Change in quantity').fill('11');
  await small.page.getByRole('button', { name: 'Increase by one' }).click();
  await small.page.getByText('becomes').waitFor({ state: 'attached' });
  // What the phone's screen shows: the adjustment first (the long history below it is not the point).
  await shoot(small.page, 'adjust-stock-phone', { fullPage: false });
  await small.context.close();

  assert.deepEqual(unexpectedProblems(problems), []);
  await context.close();
});
