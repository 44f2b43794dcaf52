import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../support/app.js';
import { TestClient } from '../support/client.js';
import { launchChromium, openPage, screenshot, unexpectedProblems } from './support/browser.js';
import { go, signIn } from './support/flows.js';
import { startWebServer } from './support/stockade.js';

/*
 * The phone list (issue 17): at 390 × 844 (an iPhone 14's CSS pixels) at least 7 items are wholly on
 * screen under the search box, without scrolling — it was ~2.5 cards; the list searches as you type
 * (one request once typing pauses, none per key); the scan button stays in view at the bottom.
 */

const PHONE = { width: 390, height: 844 };

let server: TestServer;
let browser: Browser;
let username: string;

before(async () => {
  [server, browser] = await Promise.all([startWebServer(), launchChromium()]);
  const client = new TestClient(server.url);
  username = (await client.register()).username;
  const rows = ['sku,name,quantity,priceCents,location'];
  for (let i = 1; i <= 24; i++)
    rows.push(`TEA-${String(i).padStart(3, '0')},Loose leaf tea no. ${i} with a rather long name,${i},${100 * i},Shelf B${i % 4}`);
  rows.push('COF-ETH-250,Ethiopia Yirgacheffe 250 g,12,1250,Shelf A1');
  const imported = await client.request('POST', '/api/items/import', { raw: `${rows.join('\n')}\n`, contentType: 'text/csv' });
  assert.equal(imported.status, 200, imported.text);
});
after(async () => {
  await browser?.close();
  await server?.close();
});

test('at 390 × 844: 7+ items on screen, search as you type, the scan button in reach', async () => {
  const { page, problems } = await openPage(browser, server.url, { viewport: PHONE });
  try {
    await signIn(page, username);
    await go(page, '/items');
    await page.getByRole('link', { name: /^Ethiopia Yirgacheffe/ }).waitFor();
    const visible = await page.evaluate(
      (height) =>
        [...document.querySelectorAll('.table--items tbody tr')].filter((row) => {
          const r = row.getBoundingClientRect();
          return r.top >= 0 && r.bottom <= height && r.height > 0;
        }).length,
      PHONE.height,
    );
    assert.ok(visible >= 7, `${visible} rows wholly visible at ${PHONE.width}×${PHONE.height}, want at least 7`);
    const rowHeight = await page
      .locator('.table--items tbody tr')
      .first()
      .evaluate((r) => r.getBoundingClientRect().height);
    assert.ok(rowHeight >= 40, `a row stays a comfortable tap target (${rowHeight}px)`);
    await screenshot(page, 'phone-list', { fullPage: false });

    // The scan button over the list, also when scrolled to the end.
    await page.mouse.wheel(0, 5000);
    const box = await page.getByRole('link', { name: 'Scan', exact: true }).boundingBox();
    assert.ok(box && box.y >= PHONE.height / 2 && box.y + box.height <= PHONE.height, `scan button at ${JSON.stringify(box)}`);

    // Search as you type: no Enter, no button; one list request for the whole word.
    const searches: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/items?')) searches.push(new URL(r.url()).searchParams.get('q') ?? '');
    });
    await page.getByLabel('Search by name or SKU').pressSequentially('yirga', { delay: 40 });
    await page.waitForFunction(() => document.querySelectorAll('.table--items tbody tr').length === 1, undefined, { timeout: 30_000 });
    assert.match((await page.locator('.table--items tbody tr').first().textContent()) ?? '', /Ethiopia Yirgacheffe/);
    assert.deepEqual(searches, ['yirga'], 'one request once typing paused');
    assert.match(page.url(), /#\/items\?q=yirga$/, 'the search lives in the address');
    assert.deepEqual(unexpectedProblems(problems), []);
  } catch (err) {
    await screenshot(page, 'FAILED-phone-list').catch(() => {});
    throw err;
  } finally {
    await page.context().close();
  }
});

test('labels: items selected in the list print on a sheet whose own CSP lets its style and images in', async () => {
  const { page, context, problems } = await openPage(browser, server.url);
  try {
    await signIn(page, username);
    await go(page, '/items');
    await page.getByRole('link', { name: /^Ethiopia Yirgacheffe/ }).waitFor();
    await page.getByLabel('Select Ethiopia Yirgacheffe 250 g for labels').check();
    await page.getByLabel('Select Loose leaf tea no. 1 with a rather long name for labels').check();
    await page.getByText('2 selected').waitFor();
    const [sheet] = await Promise.all([context.waitForEvent('page'), page.getByRole('link', { name: 'Print page' }).click()]);
    const sheetProblems: string[] = [];
    sheet.on('console', (m) => {
      if (m.type() === 'error') sheetProblems.push(m.text());
    });
    await sheet.waitForLoadState('load');
    assert.match(sheet.url(), /\/api\/items\/labels\?ids=[0-9a-f-]{36}%2C[0-9a-f-]{36}&format=html$/);
    const shown = await sheet.evaluate(() =>
      [...document.querySelectorAll<HTMLImageElement>('.label img')].map((img) => ({
        loaded: img.complete && img.naturalWidth > 0,
        code: img.dataset.code,
      })),
    );
    assert.deepEqual(shown, [
      { loaded: true, code: 'COF-ETH-250' },
      { loaded: true, code: 'TEA-001' },
    ]);
    // The hashed style applied (a refused one would leave the labels in one column, unstyled).
    const columns = await sheet.evaluate(
      () => getComputedStyle(document.querySelector('.sheet') as Element).gridTemplateColumns.split(' ').length,
    );
    assert.equal(columns, 3);
    await screenshot(sheet, 'labels-sheet');
    assert.deepEqual(sheetProblems, [], 'no CSP refusal on the label sheet');
    const pdf = await page.request.get((await page.getByRole('link', { name: 'Print labels (PDF)' }).getAttribute('href')) ?? '');
    assert.equal(pdf.status(), 200);
    assert.equal(pdf.headers()['content-type'], 'application/pdf');
    assert.deepEqual(unexpectedProblems(problems), []);
  } catch (err) {
    await screenshot(page, 'FAILED-labels').catch(() => {});
    throw err;
  } finally {
    await context.close();
  }
});
