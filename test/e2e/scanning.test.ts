import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../support/app.js';
import { TestClient } from '../support/client.js';
import { launchChromium, openPage, screenshot, unexpectedProblems } from './support/browser.js';
import { barcodeVideo } from './support/fake-camera.js';
import { go, signIn } from './support/flows.js';
import { startWebServer } from './support/stockade.js';

/*
 * Scanning in real Chromium (issue 17): a fake camera films a Code 128 drawn by bwip-js; the app decodes
 * it with zxing-wasm — BarcodeDetector is removed from the page, so the WebAssembly path is the one that
 * runs, and the test checks that it did: the decoder's .wasm came from our own server, under the page's
 * CSP (no console error, no CSP refusal) — and the scanned item opens on its stock screen. A camera the
 * user refuses leaves typing the code, which finds the item too.
 */

const PHONE = { width: 390, height: 844 };
const SKU = 'SCAN-0042';

let server: TestServer;
let owner: TestClient;
let username: string;
let itemName: string;

/** Before any page script: no BarcodeDetector (as on desktop Linux, Firefox, older Safari), and a record of which decoder the scanner reports. */
function forceZxing(page: Page) {
  return page.addInitScript(() => {
    // Gone, not undefined: the app checks for the constructor itself.
    delete (window as { BarcodeDetector?: unknown }).BarcodeDetector;
    const seen: string[] = [];
    (window as unknown as { __decoders: string[] }).__decoders = seen;
    new MutationObserver((records) => {
      for (const r of records) {
        const value = (r.target as Element).getAttribute('data-decoder');
        if (value) seen.push(value);
      }
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-decoder'] });
  });
}

before(async () => {
  server = await startWebServer();
  const client = new TestClient(server.url);
  owner = client;
  username = (await client.register()).username;
  itemName = 'Scanned espresso beans';
  const created = await client.post('/api/items', { sku: SKU, name: itemName, quantity: 7, priceCents: 1490 });
  assert.equal(created.status, 201, created.text);
  await client.post('/api/items', { sku: 'OTHER-1', name: 'Not this one', quantity: 1 });
});
after(() => server?.close());

describe('scanning with a fake camera', { timeout: 240_000 }, () => {
  let browser: Browser;
  before(async () => {
    const video = await barcodeVideo(SKU, 'code128');
    browser = await launchChromium([
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${video}`,
    ]);
  });
  after(() => browser?.close());

  test('the scan button opens the camera, zxing-wasm reads the Code 128, and the item opens', async () => {
    const { page, problems } = await openPage(browser, server.url, { viewport: PHONE });
    await forceZxing(page);
    const wasm: string[] = [];
    const foreign: string[] = [];
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (url.origin !== new URL(server.url).origin && url.protocol.startsWith('http')) foreign.push(r.url());
      if (url.pathname.endsWith('.wasm')) wasm.push(r.url());
    });
    try {
      await signIn(page, username);
      await go(page, '/items');
      await page.getByRole('link', { name: itemName }).waitFor();
      const scan = page.getByRole('link', { name: 'Scan', exact: true });
      // Sticky: in view at the bottom of the phone's screen.
      const box = await scan.boundingBox();
      assert.ok(box && box.y + box.height <= PHONE.height && box.y > PHONE.height / 2, `scan button at ${JSON.stringify(box)}`);
      // The lookup is held until the screen is photographed with the code just read (for the README);
      // then it goes to the server as sent.
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let looked: string | null = null;
      await page.route('**/api/items/lookup?*', async (route) => {
        looked = new URL(route.request().url()).searchParams.get('code');
        await held;
        await route.continue();
      });
      await scan.click();
      await page.getByRole('heading', { name: 'Scan' }).waitFor();
      await page.getByText('Looking it up…').waitFor({ timeout: 60_000 });
      assert.equal(looked, SKU, 'the code read from the camera is the one on the label');
      await screenshot(page, 'scan-phone', { fullPage: false });
      release();
      await page.getByRole('heading', { name: itemName }).waitFor({ timeout: 60_000 });
      assert.match(page.url(), /#\/items\/[0-9a-f-]{36}$/);
      await page.getByRole('heading', { name: 'Adjust stock' }).waitFor();

      const decoders = await page.evaluate(() => (window as unknown as { __decoders: string[] }).__decoders);
      assert.deepEqual([...new Set(decoders)], ['zxing'], 'the WebAssembly decoder ran, not BarcodeDetector');
      assert.equal(wasm.length, 1, `one .wasm fetched: ${wasm.join(', ')}`);
      assert.match(wasm[0] ?? '', new RegExp(`^${server.url}/assets/zxing_reader-[\\w-]+\\.wasm$`));
      const served = await fetch(wasm[0] ?? '');
      assert.equal(served.headers.get('content-type'), 'application/wasm');
      assert.deepEqual(foreign, [], 'nothing fetched from another origin');
      assert.deepEqual(unexpectedProblems(problems), []);
    } catch (err) {
      await screenshot(page, 'FAILED-scanning').catch(() => {});
      throw err;
    } finally {
      await page.context().close();
    }
  });
  test('a scan in a count longer than a page loads pages until the scanned item’s line is there, and puts the cursor in it', async () => {
    // 55 items that sort before the scanned one: its line is on the count's second page (50 a page).
    for (let i = 1; i <= 55; i++) {
      const res = await owner.post('/api/items', { sku: `FILL-${i}`, name: `Aaa filler ${String(i).padStart(2, '0')}`, quantity: 1 });
      assert.equal(res.status, 201, res.text);
    }
    const started = await owner.post('/api/counts', { name: 'Everything' });
    assert.equal(started.status, 201, started.text);
    const { page, problems } = await openPage(browser, server.url, { viewport: PHONE });
    await forceZxing(page);
    try {
      await signIn(page, username);
      await go(page, `/counts/${started.body.count.id}`);
      await page.getByRole('heading', { name: 'Everything' }).waitFor();
      assert.equal(await page.getByLabel(`Counted ${itemName}`).count(), 0, 'not on the first page');
      await page.getByRole('button', { name: 'Scan', exact: true }).click();
      const field = page.getByLabel(`Counted ${itemName}`);
      await field.waitFor({ timeout: 60_000 });
      await page.waitForFunction((label) => document.activeElement?.getAttribute('aria-label') === label, `Counted ${itemName}`, {
        timeout: 30_000,
      });
      await field.fill('7');
      await field.press('Enter');
      await page.getByText(/^1 of 57 counted/).waitFor();
      assert.deepEqual(unexpectedProblems(problems), []);
    } catch (err) {
      await screenshot(page, 'FAILED-scan-count').catch(() => {});
      throw err;
    } finally {
      await page.context().close();
    }
  });
});

describe('camera refused', { timeout: 240_000 }, () => {
  let browser: Browser;
  // A camera exists, but without the fake permission UI headless Chromium refuses the request.
  before(async () => {
    browser = await launchChromium(['--use-fake-device-for-media-stream']);
  });
  after(() => browser?.close());

  test('says so in words and offers typing the code, which finds the item', async () => {
    const { page, problems } = await openPage(browser, server.url, { viewport: PHONE });
    try {
      await signIn(page, username);
      await go(page, '/scan');
      await page.getByText('Camera access was refused').waitFor({ timeout: 30_000 });
      assert.equal(await page.locator('video').count(), 0, 'no dead camera picture left on screen');
      const field = page.getByLabel('Barcode or SKU', { exact: true });
      await field.fill('NO-SUCH-CODE');
      await page.getByRole('button', { name: 'Find' }).click();
      await page.getByText('No item has the code “NO-SUCH-CODE”.').waitFor();
      await page.getByLabel('Barcode or SKU', { exact: true }).fill(SKU);
      await page.getByRole('button', { name: 'Find' }).click();
      await page.getByRole('heading', { name: itemName }).waitFor();
      assert.deepEqual(unexpectedProblems(problems), []);
    } catch (err) {
      await screenshot(page, 'FAILED-camera-refused').catch(() => {});
      throw err;
    } finally {
      await page.context().close();
    }
  });
});
