import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../../support/app.js';
import { TestClient } from '../../support/client.js';
import { BACKENDS } from './fixtures.js';

/*
 * S-88: a 20 MB CSV import must not stall the server. /healthz is sampled every ~20 ms while the import
 * runs on the same server (same process, same event loop); the slowest answer is the stall.
 *
 * The bound is 250 ms, not the 100 ms of S-88, widened by what this machine stalls with no import at all
 * (sampled first for 3 s, the same way): this machine and CI are 2-core boxes shared with other test
 * files and other work, and at a load average of 15–18 the scheduler alone stalls an idle server by up to
 * ~0.5 s (measured: quiet maxima of 40–480 ms). The widening is twice the quiet stall, capped at 750 ms,
 * so on an idle machine the bound stays near 300 ms. It still separates: before the parse moved to a
 * worker and the writes into small batches, this test measured (load average 16) 7.8 s (PGlite) and
 * 1.5 s (server) for the valid file and 1.0 s and 1.2 s for the invalid one — with quiet maxima of
 * 19–83 ms, so bounds of 290–420 ms.
 */

const STALL_BOUND_MS = 250;
const MAX_WIDENING_MS = 750;
const ROWS = 10_000;
/** ~1,950 bytes per row: 10,000 rows make a ~19 MB file, just under the 20 MiB body limit. */
const DESCRIPTION = 'Lorem ipsum dolor sit amet consectetur adipiscing elit. '.repeat(34).slice(0, 1900);

function bigCsv(prefix: string, quantity: string): Uint8Array {
  const lines = ['sku,name,description,quantity,priceCents,costCents'];
  for (let i = 0; i < ROWS; i++) lines.push(`${prefix}-${i},Item ${i},${DESCRIPTION},${quantity},250,100`);
  return new TextEncoder().encode(lines.join('\n'));
}

interface Latencies {
  samples: number;
  maxMs: number;
  medianMs: number;
}

/** Samples /healthz every ~20 ms until `until` settles (ms latencies, counted from when each sample was due). */
async function sampleHealthz(url: string, until: Promise<unknown>): Promise<Latencies> {
  let done = false;
  void until.then(
    () => (done = true),
    () => (done = true),
  );
  const latencies: number[] = [];
  while (!done) {
    // From when the sample was due, not from when the (possibly late) timer fired: the server shares
    // this process's event loop, so a stall that delays the timer is one a client elsewhere would wait out.
    const due = performance.now() + 20;
    await new Promise((r) => setTimeout(r, 20));
    const res = await fetch(`${url}/healthz`);
    await res.arrayBuffer();
    latencies.push(performance.now() - due);
  }
  const sorted = latencies.sort((a, b) => a - b);
  return {
    samples: sorted.length,
    maxMs: Math.round(sorted[sorted.length - 1] ?? 0),
    medianMs: Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0),
  };
}

/** The import as a browser would send it (fetch directly: the test client would copy the 19 MB body). */
async function postCsv(url: string, client: TestClient, body: Uint8Array): Promise<{ status: number; body: { code?: string; created?: number; updated?: number } }> {
  const res = await fetch(`${url}/api/items/import`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv', cookie: `${client.cookieName}=${client.token}`, 'x-csrf-token': client.csrfToken ?? '' },
    body: body as BodyInit,
  });
  return { status: res.status, body: (await res.json()) as { code?: string } };
}

for (const backend of BACKENDS) {
  describe(`CSV import off the event loop (${backend})`, { timeout: 600_000 }, () => {
    let server: TestServer;
    let client: TestClient;
    before(async () => {
      server = await startTestServer({ database: backend });
      client = new TestClient(server.url);
      await client.register();
    });
    after(() => server.close());

    async function measure(t: { diagnostic(message: string): void }, label: string, csv: Uint8Array) {
      const quiet = await sampleHealthz(server.url, new Promise((r) => setTimeout(r, 3000)));
      const work = postCsv(server.url, client, csv);
      const busy = await sampleHealthz(server.url, work);
      const bound = STALL_BOUND_MS + Math.min(2 * quiet.maxMs, MAX_WIDENING_MS);
      t.diagnostic(
        `${backend} ${label} ${(csv.length / 1e6).toFixed(1)} MB: /healthz max ${busy.maxMs} ms, median ${busy.medianMs} ms, ` +
          `${busy.samples} samples; without an import: max ${quiet.maxMs} ms; bound ${bound} ms`,
      );
      return { result: await work, busy, bound };
    }

    test('a ~20 MB valid import keeps /healthz answering', async (t) => {
      const { result, busy, bound } = await measure(t, 'valid', bigCsv('OK', '5'));
      assert.equal(result.status, 200, JSON.stringify(result.body).slice(0, 500));
      assert.deepEqual(result.body, { created: ROWS, updated: 0 });
      assert.ok(busy.samples >= 3, `only ${busy.samples} samples`);
      assert.ok(busy.maxMs < bound, `/healthz stalled ${busy.maxMs} ms (bound ${bound} ms)`);
    });

    test('a ~20 MB all-invalid import (422) keeps /healthz answering and writes nothing', async (t) => {
      const before = await client.get('/api/inventory/summary');
      const { result, busy, bound } = await measure(t, 'invalid', bigCsv('BAD', 'many'));
      assert.equal(result.status, 422, JSON.stringify(result.body).slice(0, 500));
      assert.equal(result.body.code, 'validation');
      assert.ok(busy.maxMs < bound, `/healthz stalled ${busy.maxMs} ms (bound ${bound} ms)`);
      assert.deepEqual((await client.get('/api/inventory/summary')).body, before.body);
    });
  });
}
