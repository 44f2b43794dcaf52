import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { minimumGraceSeconds, rotateAndAnnounce, rotatePseudonymKey } from '../../../src/auth/pseudonym-rotation.js';
import { Pseudonyms } from '../../../src/auth/pseudonyms.js';
import type { RateLimitStore } from '../../../src/auth/rate-limit-store.js';
import { usernameKey } from '../../../src/auth/usernames.js';
import type { Db } from '../../../src/db/db.js';
import { startTestServer, type TestServer } from '../../support/app.js';
import { TestClient } from '../../support/client.js';
import { FanoutBus } from '../../../src/sessions/bus-fanout.js';
import type { PostgresBus } from '../../../src/sessions/bus-postgres.js';
import { openTestPglite } from '../../support/pglite.js';
import { testRedisUrl } from '../../support/test-databases.js';
import { type Fleet, redisPrefix, signedIn, startFleet, waitFor } from '../scale-out/support.js';
import { stockade } from './cli-helpers.js';

/**
 * Issue 21 item 11: `stockade rotate-pseudonym-key` under running servers. Rotating must not be a way
 * to unlock anyone (failures and lockouts counted under the old key still count), new pseudonyms are
 * made under the new key (the rate-limit records' keys change), every server switches within the
 * revocation bound of the command's exit, and after the grace period the old key is gone.
 * Two servers on a PostgreSQL server (NOTIFY bus), and on PostgreSQL + Redis (fan-out bus); and two
 * app instances over one embedded database (in-process bus; one process, so no CLI there).
 */

const BOUND_MS = 200;
const FLEET_ENV = { LOGIN_MAX_FAILURES: '5', LOGIN_ADDRESS_MAX_FAILURES: '1000', REGISTER_ADDRESS_MAX: '1000000' };

/** Polls every server until its pseudonym of a probe value is `expected`; the milliseconds since `since` each took. */
async function switched(servers: readonly TestServer[], expected: string, since: number): Promise<number[]> {
  const took: number[] = [];
  for (const s of servers) {
    await waitFor('server uses the new key', async () => (await s.deps.pseudonyms.of('username', 'probe')) === expected, 10_000);
    took.push(performance.now() - since);
  }
  return took;
}

/** The account counter's record of `username` under the key `pseudonyms` holds (read through a server's store). */
async function accountRecord(store: RateLimitStore, pseudonyms: Pseudonyms, username: string) {
  return store.peek(`login:account:${await pseudonyms.of('username', usernameKey(username))}`, new Date());
}

async function keysInDb(db: Db): Promise<string[]> {
  const res = await db.query<{ value: string }>(`SELECT value FROM install_secrets WHERE name LIKE 'pseudonym_key%'`);
  return res.rows.map((r) => r.value);
}

for (const variant of [
  { name: 'PostgreSQL', env: (): Record<string, string> => ({}) },
  { name: 'PostgreSQL + Redis', env: (): Record<string, string> => ({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: redisPrefix() }) },
]) {
  describe(`stockade rotate-pseudonym-key, two servers on ${variant.name}`, () => {
    let fleet: Fleet;
    let cliEnv: Record<string, string>;

    before(async () => {
      fleet = await startFleet(2, { ...FLEET_ENV, ...variant.env() });
      cliEnv = { DATABASE_URL: fleet.database.url, ...FLEET_ENV };
    });
    after(async () => {
      await fleet?.close();
    });

    test('failures and lockouts from before still count; new pseudonyms differ; both servers switch within the bound', async () => {
      const [s0, s1] = fleet.servers as [TestServer, TestServer];
      const locked = await signedIn(s0.url);
      const victim = await signedIn(s1.url);
      const raced = await signedIn(s1.url);
      const guesser = new TestClient(s0.url, { secureCookie: false });
      let status = 0;
      for (let i = 0; i < 5 && status !== 429; i++) status = (await guesser.login(locked.username, 'wrong password, surely')).status;
      assert.equal(status, 429, 'locked out before the rotation');
      for (const u of [victim, raced]) {
        for (let i = 0; i < 4; i++) assert.equal((await guesser.login(u.username, 'wrong password, surely')).status, 401);
      }

      const oldKeys = new Pseudonyms(fleet.db);
      const oldProbe = await oldKeys.of('username', 'probe');
      assert.equal(await s1.deps.pseudonyms.of('username', 'probe'), oldProbe);
      const secretsBefore = await keysInDb(fleet.db);

      const run = await stockade(['rotate-pseudonym-key'], { env: cliEnv });
      const exited = performance.now();
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /^pseudonym key rotated; the previous key is consulted until \S+ \(\d+ s\)/);
      const newKeys = new Pseudonyms(fleet.db);
      const newProbe = await newKeys.of('username', 'probe');
      assert.notEqual(newProbe, oldProbe, 'a new key');
      const took = await switched(fleet.servers, newProbe, exited);
      process.stdout.write(`# ${variant.name}: servers used the new key ${took.map((t) => t.toFixed(1)).join(' / ')} ms after the exit\n`);
      for (const t of took) assert.ok(t < BOUND_MS, `a server switched ${t.toFixed(1)} ms after the command exited (bound ${BOUND_MS} ms)`);
      for (const secret of [...secretsBefore, ...(await keysInDb(fleet.db))]) {
        const key = secret.startsWith('{') ? (JSON.parse(secret) as { key: string }).key : secret;
        assert.ok(!run.stdout.includes(key) && !run.stderr.includes(key), 'the CLI never prints a key');
      }

      // The lockout made under the old key still refuses the right password, on the other server.
      const owner = new TestClient(s1.url, { secureCookie: false });
      assert.equal((await owner.login(locked.username)).status, 429, 'a lockout from before the rotation');
      // Four failures before, the fifth after: locked, and the right password refused.
      assert.equal((await owner.login(victim.username, 'wrong password, surely')).status, 429, 'the fifth failure locks');
      assert.equal((await owner.login(victim.username)).status, 429, 'locked after the rotation');

      // A race after the rotation: one guess left (four of five used before it), so of many guesses in
      // flight at once exactly one is checked (count first, S-73), on both servers together.
      const checked = async () =>
        Number(
          (
            await fleet.db.query<{ n: string }>(`SELECT count(*) AS n FROM audit_events WHERE type = 'login.failure' AND user_id = $1`, [
              raced.id,
            ])
          ).rows[0]!.n,
        );
      const checkedBefore = await checked();
      const statuses = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          new TestClient(fleet.servers[i % 2]!.url, { secureCookie: false }).login(raced.username, `wrong guess ${i}`),
        ),
      );
      assert.deepEqual(
        statuses.map((r) => r.status),
        Array(12).fill(429),
        'every guess refused',
      );
      assert.equal((await checked()) - checkedBefore, 1, 'exactly one guess checked');

      // New records under the new key; the old records stay as they were.
      const store = s0.deps.rateLimitStore;
      assert.equal((await accountRecord(store, oldKeys, victim.username))?.failures, 4, 'the old record: the four failures before');
      assert.equal((await accountRecord(store, newKeys, victim.username))?.failures, 1, 'the new record: the one after');

      const audit = await fleet.db.query<{ details: Record<string, unknown> }>(
        `SELECT details FROM audit_events WHERE type = 'pseudonym_key.rotated'`,
      );
      assert.equal(audit.rows.length, 1);
      assert.equal(audit.rows[0]!.details.via, 'cli');
    });

    test('a second rotation waits for the grace period unless forced; after it the old key is gone', async () => {
      const again = await stockade(['rotate-pseudonym-key'], { env: cliEnv });
      assert.equal(again.code, 1, again.stderr);
      assert.match(again.stderr, /still consulted until/);
      const short = await stockade(['rotate-pseudonym-key', '--grace', '1s'], { env: cliEnv });
      assert.equal(short.code, 1, short.stderr);
      assert.match(short.stderr, /shorter than the longest throttling record can live/);

      const forced = await stockade(['rotate-pseudonym-key', '--grace', '1s', '--force'], { env: cliEnv });
      assert.equal(forced.code, 0, forced.stderr);
      const current = await new Pseudonyms(fleet.db).variants('username', 'probe');
      assert.equal(current.length, 2, 'the previous key is consulted during the grace period');
      await switched(fleet.servers, current[0]!, performance.now());
      // The grace period ends: no server consults the previous key any more, and purge deletes it.
      for (const s of fleet.servers) {
        await waitFor(
          'previous key no longer consulted',
          async () => (await s.deps.pseudonyms.variants('username', 'probe')).length === 1,
          15_000,
        );
      }
      const purged = await stockade(['purge'], { env: cliEnv });
      assert.equal(purged.code, 0, purged.stderr);
      assert.match(purged.stdout, /the previous pseudonym key \(grace period over\)/);
      const left = await fleet.db.query(`SELECT name FROM install_secrets WHERE name LIKE 'pseudonym_key%'`);
      assert.deepEqual(
        left.rows.map((r) => r.name),
        ['pseudonym_key'],
      );
    });

    test('a server that missed the notice re-reads the key when its bus comes back', async () => {
      const s1 = fleet.servers[1]!;
      const bus = s1.deps.sessionStack?.bus;
      const listener = (bus instanceof FanoutBus ? bus.sure : bus) as PostgresBus;
      const downsBefore = listener.stats.downs;
      // Rotated without a notice: as if the server had been cut off when it went out.
      await rotatePseudonymKey(fleet.db, { graceSeconds: 3600, force: true });
      const expected = await new Pseudonyms(fleet.db).of('username', 'probe');
      assert.notEqual(await s1.deps.pseudonyms.of('username', 'probe'), expected, 'not told');
      await fleet.db.query('SELECT pg_terminate_backend($1)', [listener.listenerPid]);
      await waitFor('the bus went down', () => listener.stats.downs > downsBefore);
      // Well within the one-minute periodic re-read: it is the bus's return that made it re-read.
      await waitFor(
        'the server uses the new key after its bus is back',
        async () => (await s1.deps.pseudonyms.of('username', 'probe')) === expected,
        10_000,
      );
      assert.ok(bus?.up, 'the bus is back up');
    });
  });
}

describe('pseudonym key rotation over the embedded database (in-process bus)', () => {
  let db: Db;
  let servers: TestServer[] = [];

  before(async () => {
    db = await openTestPglite();
    servers = [
      await startTestServer({ db, env: { ...FLEET_ENV, COOKIE_SECURE: 'false' } }),
      await startTestServer({ db, env: { ...FLEET_ENV, COOKIE_SECURE: 'false' } }),
    ];
  });
  after(async () => {
    for (const s of servers) await s.close();
    await db?.close();
  });

  test('the other instance switches within the bound; a quota used before the rotation stays used', async () => {
    const [s0, s1] = servers as [TestServer, TestServer];
    const user = await signedIn(s0.url);
    assert.equal((await user.client.post('/api/me/export')).status, 200);
    const before = await s1.deps.pseudonyms.of('username', 'probe');

    const started = performance.now();
    const result = await rotateAndAnnounce(s0.deps, { graceSeconds: minimumGraceSeconds(s0.config), force: false, via: 'test' });
    const rotated = performance.now();
    assert.equal(result.bus, 'local');
    const expected = await new Pseudonyms(db).of('username', 'probe');
    assert.notEqual(expected, before);
    const took = await switched(servers, expected, rotated);
    for (const t of took)
      assert.ok(
        t < BOUND_MS,
        `switched ${t.toFixed(1)} ms after the rotation (bound ${BOUND_MS} ms; rotation took ${(rotated - started).toFixed(1)} ms)`,
      );

    // EXPORT_MIN_INTERVAL (1 min): the export made under the old key still counts, on the other instance.
    const other = new TestClient(s1.url, { secureCookie: false });
    other.token = user.client.token;
    other.csrfToken = user.client.csrfToken;
    assert.equal((await other.post('/api/me/export')).status, 429, 'the export quota survives the rotation');
  });
});
