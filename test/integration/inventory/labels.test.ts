import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../../support/app.js';
import { decodeImage } from '../../support/barcodes.js';
import { TestClient } from '../../support/client.js';
import { BACKENDS } from './fixtures.js';

/*
 * Labels (docs/api.md "Shop floor", issue 17): GET /api/items/labels?ids=&format=pdf|html. The round
 * trip: every barcode image on a sheet decodes, with the decoder the web app scans with (zxing-wasm),
 * back to the item's code — Code 128 for short ASCII codes, QR for the rest. Prices in the shop's
 * currency; another shop's id is a 404 like an unknown one; the HTML page has its own strict CSP.
 */

type Created = { id: string; sku: string; name: string; barcode: string | null };

/** The labels of an HTML sheet: their data-code and their PNG. */
function images(html: string): { code: string; png: Buffer }[] {
  return [...html.matchAll(/data-code="([^"]*)" src="data:image\/png;base64,([A-Za-z0-9+/=]+)"/g)].map((m) => ({
    code: (m[1] ?? '')
      .replace(/&amp;/g, '&')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'"),
    png: Buffer.from(m[2] ?? '', 'base64'),
  }));
}

async function bytes(client: TestClient, path: string): Promise<{ status: number; type: string; body: Buffer }> {
  const res = await fetch(client.baseUrl + path, { headers: { cookie: `${client.cookieName}=${client.token}` } });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: Buffer.from(await res.arrayBuffer()) };
}

for (const backend of BACKENDS) {
  describe(`labels (${backend})`, { timeout: 300_000 }, () => {
    let server: TestServer;
    let owner: TestClient;
    let shopId: string;
    const items: Created[] = [];

    const create = async (c: TestClient, body: Record<string, unknown>): Promise<Created> => {
      const res = await c.post('/api/items', body);
      assert.equal(res.status, 201, res.text);
      return res.body.item as Created;
    };

    before(async () => {
      server = await startTestServer({ database: backend });
      owner = new TestClient(server.url);
      const me = await owner.register();
      shopId = (await server.db.query<{ shop_id: string }>('SELECT shop_id FROM memberships WHERE user_id = $1', [me.id])).rows[0]!.shop_id;
      items.push(await create(owner, { sku: 'COF-ETH-250', name: 'Ethiopia Yirgacheffe 250 g', priceCents: 1250 }));
      items.push(await create(owner, { sku: 'Kaffee-Ä-1', name: 'Röstkaffee <b>&"dunkel"', priceCents: 899 }));
      items.push(await create(owner, { sku: 'A-VERY-LONG-SKU-THAT-DOES-NOT-FIT-CODE-128', name: 'Long', priceCents: null }));
      items.push(await create(owner, { sku: '茶-1', name: '緑茶', priceCents: 100 }));
      // An item with a barcode: its label carries the barcode (what the goods already wear), not the SKU.
      items.push(await create(owner, { sku: 'MILK-1', name: 'Oat milk', priceCents: 239, barcode: '4006381333931' }));
    });
    after(() => server?.close());

    const ids = (list: Created[]) => list.map((i) => i.id).join(',');

    test('round trip: every barcode on the HTML sheet decodes back to its barcode, else its SKU', async () => {
      const res = await owner.get(`/api/items/labels?ids=${ids(items)}&format=html`);
      assert.equal(res.status, 200, res.text.slice(0, 300));
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
      const found = images(res.text);
      const codes = items.map((i) => i.barcode ?? i.sku);
      assert.deepEqual(
        found.map((f) => f.code),
        codes,
        'one label per item, in the order asked',
      );
      const decoded = [];
      for (const f of found) decoded.push(await decodeImage(f.png));
      assert.deepEqual(
        decoded.map((d) => d.map((r) => r.text)),
        codes.map((c) => [c]),
      );
      assert.deepEqual(
        decoded.map((d) => d[0]?.format),
        ['Code128', 'QRCode', 'QRCode', 'QRCode', 'Code128'],
        'Code 128 for short printable ASCII, QR for the rest',
      );
    });

    test("prices in the shop's currency, names escaped, the page's own strict CSP", async () => {
      await server.db.query(`UPDATE shops SET currency = 'USD' WHERE id = $1`, [shopId]);
      const usd = await owner.get(`/api/items/labels?ids=${ids(items.slice(0, 2))}&format=html`);
      assert.match(usd.text, /\$12\.50/);
      assert.match(usd.text, /\$8\.99/);
      await server.db.query(`UPDATE shops SET currency = 'JPY' WHERE id = $1`, [shopId]);
      const jpy = await owner.get(`/api/items/labels?ids=${items[3]!.id}&format=html`);
      assert.match(jpy.text, /¥100/, 'a currency without minor digits: 100 minor units are ¥100');
      await server.db.query(`UPDATE shops SET currency = 'EUR' WHERE id = $1`, [shopId]);

      assert.ok(!usd.text.includes('<b>'), 'the name is escaped');
      assert.ok(usd.text.includes('Röstkaffee &lt;b&gt;&amp;&quot;dunkel&quot;'));
      const csp = usd.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /img-src data:(;|$)/);
      assert.match(csp, /style-src 'sha256-[A-Za-z0-9+/=]+'(;|$)/);
      assert.ok(!/script-src|unsafe-inline|unsafe-eval/.test(csp), csp);
      assert.ok(!/<script/i.test(usd.text), 'no script in the page');
      assert.equal(usd.headers.get('cache-control'), 'no-store');
    });

    test('PDF: A4 pages of 24 labels', async () => {
      const many: Created[] = [...items];
      for (let i = 0; i < 21; i++) many.push(await create(owner, { sku: `PDF-${i}`, name: `Label ${i}`, priceCents: 100 + i }));
      const one = await bytes(owner, `/api/items/labels?ids=${ids(many.slice(0, 24))}`);
      assert.equal(one.status, 200);
      assert.equal(one.type, 'application/pdf');
      assert.equal(one.body.subarray(0, 5).toString(), '%PDF-');
      const pages = (pdf: Buffer) => pdf.toString('latin1').match(/\/Type \/Page\b/g)?.length ?? 0;
      assert.equal(pages(one.body), 1);
      const two = await bytes(owner, `/api/items/labels?ids=${ids(many)}&format=pdf`);
      assert.equal(pages(two.body), 2, `${many.length} labels on two pages`);
      assert.match(two.body.toString('latin1'), /MediaBox \[0 0 595\.28 841\.89\]/);
    });

    test('an archived item gets no label: 409 naming it, nothing printed; restored, it prints again', async () => {
      const retired = await create(owner, { sku: 'RETIRED-1', name: 'Retired mug', priceCents: 500 });
      assert.equal((await owner.delete(`/api/items/${retired.id}`)).status, 204);
      for (const format of ['html', 'pdf']) {
        const res = await owner.get(`/api/items/labels?ids=${items[0]!.id},${retired.id}&format=${format}`);
        assert.equal(res.status, 409, `${format}: ${res.text.slice(0, 300)}`);
        assert.equal(res.body.code, 'conflict');
        assert.match(res.body.detail, /RETIRED-1/, 'the detail names the archived SKU');
        assert.deepEqual(res.body.errors, [{ path: 'ids/1', message: 'RETIRED-1 is archived: restore it to print its label' }]);
      }
      assert.equal((await owner.post(`/api/items/${retired.id}/restore`, {})).status, 200);
      const again = await owner.get(`/api/items/labels?ids=${retired.id}&format=html`);
      assert.equal(again.status, 200, again.text.slice(0, 300));
      assert.deepEqual(
        images(again.text).map((i) => i.code),
        ['RETIRED-1'],
      );
    });

    test("another shop's id, an unknown id and a non-id are 404; too many ids 400; viewers 403", async () => {
      const stranger = new TestClient(server.url);
      await stranger.register();
      const theirs = await create(stranger, { sku: 'THEIRS', name: 'Not yours' });
      const foreign = await owner.get(`/api/items/labels?ids=${items[0]!.id},${theirs.id}&format=html`);
      assert.equal(foreign.status, 404, foreign.text);
      assert.equal(foreign.body.code, 'not_found');
      assert.ok(!foreign.text.includes('THEIRS'));
      const unknown = await owner.get(`/api/items/labels?ids=${items[0]!.id},00000000-0000-4000-8000-000000000000`);
      assert.equal(unknown.status, 404);
      assert.deepEqual(unknown.body, { ...foreign.body, instance: unknown.body.instance }, 'the same answer whoever owns the id');
      assert.equal((await owner.get('/api/items/labels?ids=not-an-id')).status, 404);
      const tooMany = Array.from({ length: 201 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`).join(',');
      const refused = await owner.get(`/api/items/labels?ids=${tooMany}`);
      assert.equal(refused.status, 400, refused.text);
      assert.equal((await owner.get('/api/items/labels?ids=a%00b')).status, 400);
      assert.equal((await owner.get(`/api/items/labels?ids=${items[0]!.id}&format=svg`)).status, 400);

      // A viewer of the owner's shop may not print; a clerk may.
      for (const [role, status] of [
        ['viewer', 403],
        ['clerk', 200],
      ] as const) {
        const member = new TestClient(server.url);
        const user = await member.register();
        await server.db.query('INSERT INTO memberships (shop_id, user_id, role) VALUES ($1, $2, $3)', [shopId, user.id, role]);
        await server.db.query('UPDATE sessions SET active_shop_id = $1 WHERE user_id = $2', [shopId, user.id]);
        const res = await member.get(`/api/items/labels?ids=${items[0]!.id}&format=html`);
        assert.equal(res.status, status, `${role}: ${res.text.slice(0, 200)}`);
      }
    });
  });
}
