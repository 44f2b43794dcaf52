import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../../src/db/db.js';
import { openPostgres } from '../../../src/db/postgres.js';
import type { RedisClient } from '../../../src/redis/connection.js';
import type { SessionStack } from '../../../src/sessions/stack.js';
import { PostgresSessionStore } from '../../../src/sessions/stores/postgres.js';
import { RedisSessionCache } from '../../../src/sessions/tiers/redis-tier.js';
import type { SessionUser } from '../../../src/auth/user.js';
import type { StoredSession } from '../../../src/sessions/stores/store.js';
import { hashToken, newToken } from '../../../src/sessions/tokens.js';
import { createServerDatabase, type ServerDatabase, testRedisUrl } from '../../support/test-databases.js';
import { sessionFor } from '../sessions/store-contract.js';
import { configFor, makeUser, rawRedis, readyStack, redisPrefix, waitFor } from './support.js';

/**
 * The Redis tier in detail: what Redis holds (hashes, never tokens; TTL = idle expiry), read-through
 * refills, renewal, and the fill protocol against revocations racing it at every step.
 */

const MINUTE = 60_000;

/** The PostgreSQL store with a gate on chosen reads, so a test can run a revocation at an exact point. */
class GatedStore extends PostgresSessionStore {
  private gates = new Map<number, { when: 'before' | 'after'; run: () => Promise<void> }>();
  private calls = 0;

  /** On the n-th get from now (1-based), run `fn` before or after the read itself. */
  gate(n: number, when: 'before' | 'after', run: () => Promise<void>): void {
    this.calls = 0;
    this.gates = new Map([[n, { when, run }]]);
  }

  override async get(idHash: Buffer): Promise<StoredSession | null> {
    const g = this.gates.get(++this.calls);
    if (g?.when === 'before') await g.run();
    const r = await super.get(idHash);
    if (g?.when === 'after') await g.run();
    return r;
  }
}

describe('Redis tier', () => {
  let database: ServerDatabase;
  let db: Db;
  let prefix: string;
  let stack: SessionStack;
  let other: SessionStack;
  let gated: GatedStore;
  let raw: RedisClient;
  let keys: RedisSessionCache;

  before(async () => {
    database = await createServerDatabase();
    db = openPostgres(database.url);
    prefix = redisPrefix();
    const env = { DATABASE_URL: database.url, REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: prefix, SESSION_LOCAL_CACHE_SIZE: '0' };
    gated = new GatedStore(db);
    stack = await readyStack(configFor(env), db, gated);
    other = await readyStack(configFor(env), db);
    raw = await rawRedis([testRedisUrl()]);
    keys = new RedisSessionCache(raw, { keyPrefix: prefix });
  });
  after(async () => {
    await stack.close();
    await other.close();
    raw.disconnect();
    await db.close();
    await database.drop();
  });

  async function created(user?: SessionUser) {
    const u = user ?? (await makeUser(db));
    const token = newToken();
    const s = sessionFor(u, Date.now(), { idHash: hashToken(token) });
    await stack.store.create(s, u, 20);
    return { token, s, u };
  }

  test('Redis holds the hash-keyed session, never the token, and expires it at its idle expiry', async () => {
    const { token, s } = await created();
    const key = keys.sessionKey(s.idHash);
    assert.deepEqual(key.subarray(key.length - 16), s.idHash.subarray(0, 16));
    const value = await raw.getBuffer(key);
    assert.ok(value, 'written through at creation');
    assert.equal(value.includes(Buffer.from(token)), false);
    assert.equal(value.includes(s.idHash), false, 'not even the full hash is stored');
    const all = await raw.keysBuffer(`${prefix}*`);
    for (const k of all) {
      assert.equal(k.includes(Buffer.from(token)), false);
      assert.equal(k.includes(s.idHash), false, 'keys carry 16 bytes of the hash, not all 32');
    }
    const pexpireAt = await raw.pexpiretime(key);
    assert.equal(pexpireAt, s.idleExpiresAt.getTime());

    const hitsBefore = stack.tiered?.stats.redisHits ?? 0;
    assert.equal((await other.store.get(s.idHash))?.session.id, s.id);
    assert.equal((await stack.store.get(s.idHash))?.session.id, s.id);
    assert.equal(stack.tiered?.stats.redisHits, hitsBefore + 1);
  });

  test('the key never outlives the absolute expiry', async () => {
    const u = await makeUser(db);
    const now = Date.now();
    const s = sessionFor(u, now, { idleExpiresAt: new Date(now + 30 * MINUTE), absoluteExpiresAt: new Date(now + 10 * MINUTE) });
    await stack.store.create(s, u, 20);
    assert.equal(await raw.pexpiretime(keys.sessionKey(s.idHash)), s.absoluteExpiresAt.getTime());
  });

  test('a miss reads PostgreSQL and refills Redis', async () => {
    const { s } = await created();
    await raw.unlink(keys.sessionKey(s.idHash));
    assert.equal((await other.store.get(s.idHash))?.session.id, s.id);
    const back = await keys.get(s.idHash);
    assert.equal(back.kind, 'hit');
  });

  test('renewal moves Redis forward, conditionally: never back in time, never onto a deleted key', async () => {
    const { s } = await created();
    const seen = new Date(Date.now() + 1000);
    const idle = new Date(seen.getTime() + 30 * MINUTE);
    assert.equal(await other.store.touch(s.idHash, seen, idle), true);
    let v = await keys.get(s.idHash);
    assert.equal(v.kind === 'hit' && v.value.session.lastSeenAt.getTime(), seen.getTime());
    assert.equal(await raw.pexpiretime(keys.sessionKey(s.idHash)), idle.getTime());
    // A slower renewal that PostgreSQL accepted (its own clock) must not roll Redis back.
    assert.equal(await keys.touch(s.idHash, new Date(seen.getTime() - 500), new Date(idle.getTime() - 500)), false);
    v = await keys.get(s.idHash);
    assert.equal(v.kind === 'hit' && v.value.session.idleExpiresAt.getTime(), idle.getTime());
    await stack.store.delete(s.idHash);
    assert.equal(await keys.touch(s.idHash, new Date(seen.getTime() + 1000), new Date(idle.getTime() + 1000)), false);
    assert.equal(await raw.exists(keys.sessionKey(s.idHash)), 0);
  });

  test('revoking all of a user removes every key PostgreSQL names but the one kept, and keeps no per-user key', async () => {
    const u = await makeUser(db);
    const a = await created(u);
    const b = await created(u);
    const c = await created(u);
    const unrelated = await created();
    assert.equal((await stack.store.deleteUser(u.id, a.s.idHash)).length, 2);
    assert.equal((await keys.get(a.s.idHash)).kind, 'hit');
    assert.equal((await keys.get(unrelated.s.idHash)).kind, 'hit');
    assert.equal(await raw.exists(keys.sessionKey(b.s.idHash), keys.sessionKey(c.s.idHash)), 0);
    // Only session keys under the prefix: nothing per user (issue 20: ≤ 200 B per session).
    const found: Buffer[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await raw.scanBuffer(cursor, 'MATCH', `${prefix}[^s]*`, 'COUNT', 1000);
      cursor = next.toString();
      found.push(...batch);
    } while (cursor !== '0');
    assert.deepEqual(found, []);
  });

  // The fill protocol against a revoke-all at each step of a refill (tiers/redis-tier.ts): whatever the
  // interleaving, once both are done Redis holds nothing for the revoked session.
  for (const [step, n, when] of [
    ['after the first read, before the claim', 1, 'after'],
    ['after the claim, before the second read', 2, 'before'],
    ['after the second read, before the commit', 2, 'after'],
  ] as const) {
    test(`a revocation ${step} leaves nothing in Redis`, async () => {
      const { s, u } = await created();
      await raw.unlink(keys.sessionKey(s.idHash)); // force a refill
      gated.gate(n, when, async () => {
        assert.equal((await other.store.deleteUser(u.id)).length, 1);
      });
      await stack.store.get(s.idHash);
      assert.equal(await raw.exists(keys.sessionKey(s.idHash)), 0, 'no value and no marker left behind');
      assert.equal(await other.store.get(s.idHash), null);
      assert.equal(await stack.store.get(s.idHash), null);
    });
  }

  test('race: refills racing revoke-all, 30 rounds, never leave a revoked session in Redis', async () => {
    const u = await makeUser(db);
    for (let round = 0; round < 30; round++) {
      const { s } = await created(u);
      await raw.unlink(keys.sessionKey(s.idHash));
      const reads = Array.from({ length: 4 }, (_, i) => (i % 2 ? stack : other).store.get(s.idHash));
      const revoke = new Promise((resolve) => setTimeout(resolve, round % 5)).then(() => other.store.deleteUser(u.id));
      await Promise.all([...reads, revoke]);
      assert.equal(await raw.exists(keys.sessionKey(s.idHash)), 0, `round ${round}`);
      assert.equal(await stack.store.get(s.idHash), null, `round ${round}`);
    }
  });

  test('a sign-in racing a revoke-all of the same user cannot leave its session in Redis', async () => {
    const u = await makeUser(db);
    for (let round = 0; round < 20; round++) {
      const s = sessionFor(u);
      await Promise.all([
        stack.store.create(s, u, 20),
        new Promise((r) => setTimeout(r, round % 4)).then(() => other.store.deleteUser(u.id)),
      ]);
      const inPg = (await db.query('SELECT 1 FROM sessions WHERE id_hash = $1', [s.idHash])).rows.length > 0;
      const inRedis = (await raw.exists(keys.sessionKey(s.idHash))) === 1;
      assert.ok(inPg || !inRedis, `round ${round}: Redis has a session PostgreSQL does not`);
    }
  });

  // S-90: a revocation published by a server that could not reach Redis (or a CLI without it) arrives
  // with the Redis copy still there; this server deletes it (forget). A read whose Redis answer arrives
  // after the message must not return that copy, even though it asked Redis before the delete.
  test('forget: a Redis hit on what a heard revocation names is not believed, and the copy is deleted', async () => {
    const revocations = [
      (r: { s: { idHash: Buffer } }) => ({ kind: 'session' as const, idHash: r.s.idHash }),
      // Names the sessions it ended (their first 16 bytes), as a publisher that could not clean Redis does.
      (r: { s: { idHash: Buffer }; u: { id: string } }) => ({
        kind: 'user' as const,
        userId: r.u.id,
        hashPrefixes: [r.s.idHash.subarray(0, 16)],
      }),
      // Names none (a publisher from before issue 20): the receiver cannot tell the user's keys and flushes.
      (r: { u: { id: string } }) => ({ kind: 'user' as const, userId: r.u.id }),
      () => ({ kind: 'all' as const }),
    ];
    for (const revocation of revocations) {
      const c = await created();
      assert.ok(await stack.store.get(c.s.idHash));
      assert.equal(await raw.exists(keys.sessionKey(c.s.idHash)), 1, 'cached in Redis');
      // Revoked in PostgreSQL by a publisher whose Redis delete did not happen.
      await db.query('DELETE FROM sessions WHERE id_hash = $1', [c.s.idHash]);
      const r = revocation(c);
      const hits = stack.tiered!.stats.redisHits;
      const reading = stack.store.get(c.s.idHash); // its GET is on the wire before the delete
      const forgetting = stack.tiered!.forget(r);
      assert.equal(await reading, null, `${r.kind}: the Redis copy was not believed`);
      assert.equal(stack.tiered!.stats.redisHits, hits);
      await forgetting;
      assert.equal(await raw.exists(keys.sessionKey(c.s.idHash)), 0, `${r.kind}: the Redis copy is gone`);
      assert.equal(await stack.store.get(c.s.idHash), null);
    }
  });

  test('a value Redis cannot decode is a miss, never a session', async () => {
    const { s } = await created();
    await raw.set(keys.sessionKey(s.idHash), Buffer.from([9, 9, 9]));
    assert.equal((await other.store.get(s.idHash))?.session.id, s.id, 'read from PostgreSQL instead');
  });

  test('readiness: Redis and the bus report ok while they are up', async () => {
    const results = await Promise.all(stack.readinessChecks.map((c) => c.check().then(() => c.name)));
    assert.deepEqual(results.sort(), ['redis', 'session-bus']);
    await waitFor('breaker up', () => stack.breaker?.up === true);
  });
});
