import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openPostgres } from '../../src/db/postgres.js';
import { type Haproxy, startHaproxy } from '../support/haproxy.js';
import { createServerDatabase, type ServerDatabase } from '../support/test-databases.js';
import { type ServerProcess, startServerProcess } from './support/server-process.js';
import { attempt, merchant } from './support/traffic.js';

/**
 * Three server processes on one PostgreSQL database behind HAProxy (round robin, no stickiness). One is
 * killed with SIGKILL in the middle of write traffic. The other two keep serving; every stock adjustment
 * that was answered 201 is in the ledger exactly once, because clients retry an unanswered request
 * with the same Idempotency-Key and the server applies a key at most once.
 */

const WRITERS = 24;
const RETRIES = 30;

describe('one of three servers killed under write traffic', () => {
  let database: ServerDatabase;
  let servers: ServerProcess[] = [];
  let proxy: Haproxy;
  before(async () => {
    database = await createServerDatabase();
    servers = await Promise.all([0, 1, 2].map(() => startServerProcess({ env: { DATABASE_URL: database.url } })));
    proxy = await startHaproxy(servers.map((s) => ({ host: '127.0.0.1', port: s.port })));
  });
  after(async () => {
    await proxy?.stop();
    await Promise.all(servers.map((s) => s.stop()));
    await database.drop();
  });

  test('the others keep serving; every 201 is in the ledger once, none applied twice', async (t) => {
    const owners = [await merchant(proxy.url), await merchant(proxy.url)];
    const items = await Promise.all(
      owners.map(async (o, i) => (await o.post('/api/items', { sku: `KILL-${i}`, name: 'Kill test', quantity: 0 })).body.item.id as string),
    );

    let stop = false;
    const acknowledged = new Map<string, { itemId: string; movementId: string; delta: number }>();
    let retried = 0;
    let gaveUp = 0;
    let replays = 0;
    const writers = Array.from({ length: WRITERS }, async (_, w) => {
      const owner = owners[w % owners.length]!.clone();
      const itemId = items[w % items.length]!;
      while (!stop) {
        const key = randomUUID();
        const delta = 1 + (w % 3);
        for (let i = 0; i < RETRIES; i++) {
          const fate = await attempt(() =>
            owner.post(`/api/items/${itemId}/adjustments`, { delta, reason: 'received' }, { headers: { 'idempotency-key': key } }),
          );
          if (fate.kind === 'answered' && fate.res.status === 201) {
            if (fate.res.headers.get('idempotent-replayed') === 'true') replays++;
            acknowledged.set(key, { itemId, movementId: fate.res.body.movement.id, delta });
            break;
          }
          // Unanswered (connection cut by the kill) or 502/503 from the proxy: the same request again.
          if (fate.kind === 'answered')
            assert.ok([502, 503].includes(fate.res.status), `${fate.res.status} ${fate.res.text.slice(0, 200)}`);
          retried++;
          if (i === RETRIES - 1) gaveUp++;
          await sleep(50);
        }
      }
    });

    await sleep(1500);
    const victim = servers[1]!;
    const before = acknowledged.size;
    victim.signal('SIGKILL');
    assert.equal(await victim.exited, 'SIGKILL');
    const killedAt = Date.now();
    await sleep(3000);
    // Reads through the proxy keep working with the survivors.
    for (let i = 0; i < 6; i++) {
      const res = await owners[0]!.get(`/api/items/${items[0]}`);
      assert.equal(res.status, 200);
    }
    stop = true;
    await Promise.all(writers);
    const afterKill = acknowledged.size - before;
    assert.ok(afterKill >= 20, `${afterKill} adjustments acknowledged after the kill`);
    assert.equal(gaveUp, 0, 'every adjustment was eventually acknowledged');

    // A retry that comes late (the client never saw the 201) lands on whichever server is next: it is
    // answered with the first response and writes nothing.
    const sample = [...acknowledged.entries()].filter((_, i) => i % Math.ceil(acknowledged.size / 24) === 0);
    for (const [key, a] of sample) {
      const owner = owners[items.indexOf(a.itemId)]!;
      const again = await owner.post(
        `/api/items/${a.itemId}/adjustments`,
        { delta: a.delta, reason: 'received' },
        { headers: { 'idempotency-key': key } },
      );
      assert.equal(again.status, 201);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.equal(again.body.movement.id, a.movementId);
    }

    // The ledger, read directly: each acknowledged movement exists, and each key was applied once.
    const db = openPostgres(database.url, { max: 1 });
    try {
      const rows = await db.query<{ id: string; item_id: string; delta: number }>(
        `SELECT id, item_id, delta FROM movements WHERE item_id = ANY($1::uuid[]) AND reason = 'received'`,
        [items],
      );
      const ids = new Set(rows.rows.map((r) => r.id));
      for (const [key, a] of acknowledged) assert.ok(ids.has(a.movementId), `acknowledged movement of ${key} missing`);
      assert.equal(rows.rows.length, acknowledged.size, 'ledger rows = acknowledged adjustments: nothing applied twice, nothing extra');
      for (const itemId of items) {
        const expected = [...acknowledged.values()].filter((a) => a.itemId === itemId).reduce((n, a) => n + a.delta, 0);
        const q = await db.query<{ quantity: number }>('SELECT quantity FROM items WHERE id = $1', [itemId]);
        assert.equal(Number(q.rows[0]?.quantity), expected, 'stock = sum of acknowledged deltas');
      }
    } finally {
      await db.close();
    }
    for (const s of servers.filter((s) => s !== victim)) assert.ok(s.daemon.alive(), 'survivors alive');
    t.diagnostic(
      `kill: ${acknowledged.size} adjustments acknowledged (${afterKill} after the kill at +1.5 s), ${retried} retries, ` +
        `${replays} answered by idempotent replay during the traffic, ${sample.length} late retries replayed, ` +
        `${Date.now() - killedAt} ms observed after the kill`,
    );
  });
});
