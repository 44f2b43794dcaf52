import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pg from 'pg';
import { loadConfig } from '../../../src/config.js';
import { openDb } from '../../../src/db/open.js';
import { createServerDatabase, testDatabaseUrl } from '../../support/test-databases.js';

/**
 * DATABASE_POOL_SIZE bounds the PostgreSQL connections one server opens (docs/operations.md sizes
 * max_connections as servers × pool + CLI + backup + headroom, so the bound must hold): 3, with 20
 * queries in flight at once, is 3 backends on the server, all busy, and the others queue.
 */
describe('DATABASE_POOL_SIZE', () => {
  test('a server opens at most DATABASE_POOL_SIZE connections, however many queries are in flight', { timeout: 120_000 }, async () => {
    const database = await createServerDatabase();
    const db = await openDb(loadConfig({ DATABASE_URL: database.url, DATABASE_POOL_SIZE: '3' }));
    const admin = new pg.Client({ connectionString: testDatabaseUrl() });
    admin.on('error', () => {});
    await admin.connect();
    try {
      let release = false;
      // Each holds its connection until told to stop (polling a flag in SQL would need a table: sleep in short steps).
      const inFlight = Array.from({ length: 20 }, async () => {
        while (!release) await db.query('SELECT pg_sleep(0.05)');
      });
      const counts: number[] = [];
      const deadline = Date.now() + 60_000;
      // Poll until the pool has had the chance to grow (three busy backends seen), and a while after.
      while (Date.now() < deadline && counts.filter((n) => n >= 3).length < 20) {
        const res = await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [database.name]);
        counts.push(res.rows[0]?.n ?? 0);
      }
      release = true;
      await Promise.all(inFlight);
      assert.equal(Math.max(...counts), 3, `connections seen: ${counts.join(' ')}`);
    } finally {
      await admin.end().catch(() => {});
      await db.close();
      await database.drop();
    }
  });
});
