import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { TestClient } from '../../support/client.js';
import { testRedisUrl } from '../../support/test-databases.js';
import { type Fleet, rawRedis, redisPrefix, sameSessionOn, signedIn, startFleet } from '../scale-out/support.js';
import { stockade } from './cli-helpers.js';

/**
 * Issue 21 items 2 and 4: `stockade revoke-user` and `stockade revoke-all` reach servers that use
 * Redis (their memory and the Redis copies), whatever the CLI's own configuration — here the CLI has
 * no REDIS_URL at all, so it can only speak PostgreSQL. Two servers on PostgreSQL + Redis; every
 * session named must be refused on every server within the revocation bound (200 ms) of the command's
 * exit, and stay refused. revoke-all must not touch throttling records.
 */

const BOUND_MS = 200;

describe('stockade revoke-user / revoke-all against servers with Redis, CLI without', () => {
  let fleet: Fleet;
  let env: Record<string, string>;
  const prefix = redisPrefix();

  before(async () => {
    fleet = await startFleet(2, { REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: prefix, LOGIN_ADDRESS_MAX_FAILURES: '3' });
    env = { DATABASE_URL: fleet.database.url };
  });
  after(async () => {
    await fleet?.close();
  });

  /** Each server answers twice: the first fills Redis and memory, the second is a memory hit. */
  async function warm(client: TestClient): Promise<void> {
    for (const s of fleet.servers) {
      for (let i = 0; i < 2; i++) assert.equal((await sameSessionOn(client, s.url).get('/api/auth/session')).status, 200, s.url);
    }
  }

  /**
   * Polls every server until it refuses, and keeps asking: no check sent later than BOUND_MS after
   * `since` may be accepted (measured at sending: a loaded machine's round trip is not the server's
   * delay), and once refused, never accepted again.
   */
  async function refusedEverywhere(clients: TestClient[], since: number, what: string): Promise<void> {
    const took: number[] = [];
    for (const client of clients) {
      for (const s of fleet.servers) {
        const c = sameSessionOn(client, s.url);
        for (;;) {
          const sent = performance.now() - since;
          const status = (await c.get('/api/auth/session')).status;
          if (status === 401) {
            took.push(sent);
            break;
          }
          assert.equal(status, 200);
          if (sent > BOUND_MS)
            assert.fail(`${what}: ${s.url} accepted a check sent ${sent.toFixed(1)} ms after the command exited (bound ${BOUND_MS} ms)`);
          await sleep(5);
        }
      }
    }
    await sleep(100);
    for (const client of clients) {
      for (const s of fleet.servers)
        assert.equal((await sameSessionOn(client, s.url).get('/api/auth/session')).status, 401, `${what}: accepted again by ${s.url}`);
    }
    process.stdout.write(`# ${what}: first refused checks sent ${took.map((t) => t.toFixed(1)).join(' / ')} ms after the exit\n`);
  }

  test('revoke-user: every session of the user refused on every server; others untouched', async () => {
    const { client: laptop, username } = await signedIn(fleet.servers[0]!.url);
    const phone = new TestClient(fleet.servers[1]!.url, { secureCookie: false });
    assert.equal((await phone.login(username)).status, 200);
    const bystander = await signedIn(fleet.servers[1]!.url);
    for (const c of [laptop, phone, bystander.client]) await warm(c);
    const run = await stockade(['revoke-user', username], { env });
    const exited = performance.now();
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`revoked 2 sessions of ${username}`));
    await refusedEverywhere([laptop, phone], exited, 'revoke-user');
    for (const s of fleet.servers) assert.equal((await sameSessionOn(bystander.client, s.url).get('/api/auth/session')).status, 200);
  });

  test('revoke-all: every session of every user refused on every server, audited once; a throttled address stays throttled', async () => {
    const a = await signedIn(fleet.servers[0]!.url);
    const b = await signedIn(fleet.servers[1]!.url);
    for (const c of [a.client, b.client]) await warm(c);
    // The address (127.0.0.1, every test client's) is locked out after 3 failures on this fleet.
    const guesser = new TestClient(fleet.servers[0]!.url, { secureCookie: false });
    let locked = false;
    for (let i = 0; i < 6 && !locked; i++) locked = (await guesser.login(a.username, 'wrong password, surely')).status === 429;
    assert.ok(locked, 'the address is throttled before revoke-all');

    const live = await fleet.db.query<{ n: string }>('SELECT count(*) AS n FROM sessions');
    const run = await stockade(['revoke-all'], { env });
    const exited = performance.now();
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^revoked ${live.rows[0]!.n} sessions? of every user`));
    await refusedEverywhere([a.client, b.client], exited, 'revoke-all');
    const events = await fleet.db.query<{ type: string; user_id: string | null; details: Record<string, unknown> }>(
      `SELECT type, user_id, details FROM audit_events WHERE details->>'scope' = 'everyone'`,
    );
    assert.deepEqual(
      events.rows.map((e) => [e.type, e.user_id, e.details.via, e.details.count]),
      [['session.revoked', null, 'cli', Number(live.rows[0]!.n)]],
    );
    for (const s of fleet.servers) {
      const again = new TestClient(s.url, { secureCookie: false });
      assert.equal((await again.login(a.username)).status, 429, `${s.url}: the address is still throttled`);
    }

    // Again with REDIS_URL on the CLI: it deletes the Redis session keys itself, and only those.
    const redis = await rawRedis([testRedisUrl()]);
    try {
      const keys = async (pattern: string) => (await redis.keys(`${prefix}${pattern}`)).length;
      const c = await signedIn(fleet.servers[0]!.url);
      await warm(c.client);
      assert.ok((await keys('s*')) > 0, 'sessions cached in Redis');
      const throttling = await keys('r*');
      assert.ok(throttling > 0, 'throttling records in Redis');
      const withRedis = await stockade(['revoke-all'], { env: { ...env, REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: prefix } });
      const exited2 = performance.now();
      assert.equal(withRedis.code, 0, withRedis.stderr);
      assert.match(withRedis.stdout, /^revoked 1 session of every user/);
      await refusedEverywhere([c.client], exited2, 'revoke-all, CLI with Redis');
      assert.equal(await keys('s*'), 0, 'no session left in Redis');
      assert.equal(await keys('r*'), throttling, 'throttling records untouched');
    } finally {
      redis.disconnect();
    }
  });
});
