import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../../src/db/db.js';
import { startTestServer, type TestServer } from '../../support/app.js';
import { TestClient } from '../../support/client.js';
import { BACKENDS } from './fixtures.js';

/*
 * What bounds the cost of imports (S-88, issue 11 item 7): one import at a time per merchant — on one
 * server and across servers sharing a database — a quota per merchant, and one transaction, so an import
 * that fails half-way has written nothing.
 */

const TEXT = 'A long enough description to make every row cost something to write. '.repeat(30);

function csv(prefix: string, rows: number, descriptionLength = 1000): string {
  const description = TEXT.slice(0, descriptionLength);
  const lines = ['sku,name,description,quantity'];
  for (let i = 0; i < rows; i++) lines.push(`${prefix}-${i},Item ${i},${description},3`);
  return lines.join('\n');
}

const importCsv = (client: TestClient, body: string) => client.request('POST', '/api/items/import', { raw: body, contentType: 'text/csv' });

/** Imports counted so far by the quota (each import is counted before it starts; IMPORT_MAX is high here). */
async function importsCounted(db: Db): Promise<number> {
  const res = await db.query<{ n: string | number }>(`SELECT coalesce(sum(failures), 0) AS n FROM rate_limits WHERE key LIKE 'import:%'`);
  return Number(res.rows[0]?.n);
}

/** Whether some import holds its advisory lock, i.e. is writing (PostgreSQL server only). */
async function importWriting(db: Db): Promise<boolean> {
  // This database only: other test files share the server, and their migrations take advisory locks too.
  const res = await db.query(
    `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  );
  return res.rows.length > 0;
}

/**
 * Sends a big import through `a`, and once `started` says the server is on it, one-row imports of the
 * same merchant through `probe` (the same server, or another one) until one is refused or the big one is
 * over.
 */
async function raceProbes(a: TestClient, probe: TestClient, big: string, started: () => Promise<boolean>) {
  const bigDone = importCsv(a, big);
  let over = false;
  void bigDone.finally(() => (over = true));
  while (!over && !(await started())) await new Promise((r) => setTimeout(r, 10));
  const refusals = [];
  for (let i = 0; !over && refusals.length === 0; i++) {
    const res = await importCsv(probe, `sku,name\nPROBE-${i},probe ${i}\n`);
    if (res.status === 409) refusals.push(res);
    else assert.equal(res.status, 200, res.text);
    await new Promise((r) => setTimeout(r, 25));
  }
  return { big: await bigDone, refusals };
}

for (const backend of BACKENDS) {
  describe(`CSV import limits (${backend})`, { timeout: 300_000 }, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ database: backend, env: { IMPORT_MAX: '1000' } });
    });
    after(() => server.close());

    test('a second import of the same merchant while one runs is refused with 409 and Retry-After', async () => {
      const a = new TestClient(server.url);
      await a.register();
      const counted = await importsCounted(server.db);
      const { big, refusals } = await raceProbes(a, a.clone(), csv('BIG', 5000), async () => (await importsCounted(server.db)) > counted);
      assert.equal(big.status, 200, big.text);
      assert.deepEqual([big.body.created, big.body.updated], [5000, 0]);
      const [refused] = refusals;
      assert.ok(refused, 'no probe was refused while the big import ran');
      assert.equal(refused.body.code, 'conflict');
      assert.equal(refused.headers.get('retry-after'), '5');
      // Another merchant is not held up by it.
      const b = new TestClient(server.url);
      await b.register();
      const [x, y] = await Promise.all([importCsv(a, csv('A', 2000)), importCsv(b, csv('B', 10))]);
      assert.deepEqual([x.status, y.status], [200, 200]);
    });

    test('imports are rate-limited per merchant (IMPORT_MAX, IMPORT_WINDOW): 429 with Retry-After', async () => {
      const limited = await startTestServer({ database: backend, env: { IMPORT_MAX: '3', IMPORT_WINDOW: '10m' } });
      try {
        const a = new TestClient(limited.url);
        await a.register();
        const statuses = [];
        // Refused imports count too: an all-invalid file costs a parse like a good one.
        for (const body of ['sku,name\nQ-1,one\n', 'sku,name\nQ-2,\n', 'sku,name\nQ-3,three\n', 'sku,name\nQ-4,four\n']) {
          statuses.push((await importCsv(a, body)).status);
        }
        assert.deepEqual(statuses, [200, 422, 200, 429]);
        const refused = await importCsv(a, 'sku,name\nQ-5,five\n');
        assert.equal(refused.body.code, 'rate_limited');
        const retryAfter = Number(refused.headers.get('retry-after'));
        assert.ok(retryAfter > 500 && retryAfter <= 600, `Retry-After ${retryAfter}`);
        // Per merchant: another one still imports.
        const b = new TestClient(limited.url);
        await b.register();
        assert.equal((await importCsv(b, 'sku,name\nQ-1,one\n')).status, 200);
      } finally {
        await limited.close();
      }
    });
  });
}

describe('CSV import limits across servers (postgres)', { timeout: 300_000 }, () => {
  let one: TestServer;
  let two: TestServer;
  before(async () => {
    one = await startTestServer({ database: 'postgres', env: { IMPORT_MAX: '1000' } });
    two = await startTestServer({ db: one.db, env: { IMPORT_MAX: '1000' } });
  });
  after(async () => {
    await two.close();
    await one.close();
  });

  test('an import through another server while one runs is refused (the lock is in the database)', async () => {
    const a = new TestClient(one.url);
    await a.register();
    const elsewhere = new TestClient(two.url);
    elsewhere.token = a.token;
    elsewhere.csrfToken = a.csrfToken;
    // The other server's in-progress set knows nothing of it: only the database lock can refuse. The big
    // import is long (19 MB) so that it is still writing when a probe has been parsed.
    const { big, refusals } = await raceProbes(a, elsewhere, csv('BIG', 10_000, 1900), () => importWriting(one.db));
    assert.equal(big.status, 200, big.text);
    const [refused] = refusals;
    assert.ok(refused, 'no probe through the other server was refused while the big import ran');
    assert.equal(refused.body.code, 'conflict');
  });

  test('an import whose connection dies half-way has written nothing; a retry then imports everything', async () => {
    const a = new TestClient(one.url);
    const me = await a.register();
    const count = async (table: 'items' | 'movements') =>
      Number(
        (
          await one.db.query<{ n: string }>(
            `SELECT count(*) AS n FROM ${table} WHERE shop_id IN (SELECT shop_id FROM memberships WHERE user_id = $1)`,
            [me.id],
          )
        ).rows[0]?.n,
      );
    const body = csv('HALF', 5000);
    const pending = importCsv(a, body);
    // The import's backend holds a transaction id once it has inserted something: then cut it off.
    let pid: number | undefined;
    for (let i = 0; i < 2000 && pid === undefined; i++) {
      const res = await one.db.query<{ pid: number }>(
        `SELECT l.pid FROM pg_locks l JOIN pg_locks x ON x.pid = l.pid AND x.locktype = 'transactionid'
         WHERE l.locktype = 'advisory' AND l.granted
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      );
      pid = res.rows[0]?.pid;
      if (pid === undefined) await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(pid !== undefined, 'the import never started writing');
    await one.db.query('SELECT pg_terminate_backend($1)', [pid]);
    const failed = await pending;
    assert.ok(failed.status >= 500, `status ${failed.status}`);
    assert.doesNotMatch(failed.text, /INSERT|SELECT|at .*\.ts/);
    assert.deepEqual([await count('items'), await count('movements')], [0, 0]);
    const retried = await importCsv(a, body);
    assert.equal(retried.status, 200, retried.text);
    assert.deepEqual([await count('items'), await count('movements')], [5000, 5000]);
  });
});
