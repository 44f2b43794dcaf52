import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureAdmin } from '../../../src/auth/bootstrap-admin.js';
import { startTestServer, type TestServer } from '../../support/app.js';
import { PASSWORD, TestClient, uniqueUsername } from '../../support/client.js';
import { testRedisUrl } from '../../support/test-databases.js';
import { type Fleet, redisPrefix, startFleet } from '../scale-out/support.js';
import { freshAddress } from './helpers.js';

/**
 * S-72, authorization is current: sign-ins racing an admin's demotion or disable, or the voiding of a
 * leaked password. Many `remember: true` sign-ins of an admin are in flight (hashing one at a time:
 * PASSWORD_HASH_CONCURRENCY=1 keeps them queued) when another admin's change runs; more start while it
 * runs and after it returns. Once the change has answered, every session cookie those sign-ins obtained —
 * whenever they were issued — must be refused (401) or, after a demotion, carry the new role and be
 * refused by the admin routes (403): at once on the server that handled the change, and on every other
 * server within the revocation bound (200 ms, docs/api.md v2).
 *
 * Every store stack: embedded PGlite; two servers on a PostgreSQL server (LISTEN/NOTIFY bus); two servers
 * on PostgreSQL + Redis. With two, the sign-ins are spread over both and the PATCH goes through the
 * second, so the first hears of it only through the bus.
 */

/** The revocation bound (docs/api.md v2 conventions). */
const BOUND_MS = 200;
// A disabled account's right password counts as a failure: the sign-in throttle is kept out of play.
const ENV = { PASSWORD_HASH_CONCURRENCY: '1', LOGIN_MAX_FAILURES: '100' };

interface Setup {
  readonly servers: TestServer[];
  readonly secureCookie: boolean;
  close(): Promise<void>;
}

/** A demotion or disable (PATCH), or the leaked-password playbook: a reset link that voids the password now. */
type Change = { role: 'merchant' } | { disabled: true } | { invalidatePassword: true };

/** The cookies and how the sign-ins that got them answered, for the race summary. */
interface Attempt {
  readonly client: TestClient;
  status?: number;
  answeredAt?: number;
}

async function race(setup: Setup, change: Change): Promise<void> {
  const { servers, secureCookie } = setup;
  const urls = servers.map((s) => s.url);
  const first = servers[0]!;
  const actorName = uniqueUsername('actor');
  const targetName = uniqueUsername('target');
  await ensureAdmin(first.deps.users, first.deps.authenticator, actorName, PASSWORD);
  await ensureAdmin(first.deps.users, first.deps.authenticator, targetName, PASSWORD);
  const target = await first.deps.users.findByUsername(targetName);
  assert.ok(target);
  // The PATCH goes through the last server: with two, the first learns of it only through the bus.
  const handler = urls[urls.length - 1]!;
  const actor = new TestClient(handler, { secureCookie });
  assert.equal((await actor.login(actorName)).status, 200);

  const attempts: Attempt[] = [];
  const signIn = (i: number): Promise<void> => {
    const attempt: Attempt = { client: new TestClient(urls[i % urls.length]!, { secureCookie }) };
    attempts.push(attempt);
    // A source address each, so the sign-in throttle's per-(account, address) budget is not in play.
    return attempt.client.login(targetName, PASSWORD, { remember: true, localAddress: freshAddress() }).then((res) => {
      attempt.status = res.status;
      attempt.answeredAt = Date.now();
    });
  };

  const beforePatch = Array.from({ length: 15 }, (_, i) => signIn(i));
  await Promise.race(beforePatch);
  const patch =
    'invalidatePassword' in change
      ? actor.post(`/api/admin/users/${target.id}/password-reset`, change)
      : actor.patch(`/api/admin/users/${target.id}`, change);
  const duringPatch = Array.from({ length: 5 }, (_, i) => signIn(i));
  const res = await patch;
  const patchedAt = Date.now();
  assert.equal(res.status, 'invalidatePassword' in change ? 201 : 200, res.text);

  const stale: string[] = [];
  const oldState = async (a: Attempt, url: string, when: string): Promise<void> => {
    const on = new TestClient(url, { secureCookie });
    on.token = a.client.token;
    const session = await on.get('/api/auth/session');
    const admin = await on.get('/api/admin/users');
    // A demoted session may live on as a merchant; after a disable or a voided password, none may.
    const kept = (session.status === 200 && (!('role' in change) || session.body.user.role !== 'merchant')) || admin.status === 200;
    if (kept)
      stale.push(
        `${when} on ${url === handler ? 'the handling server' : 'another server'}: session ${session.status} ${session.body?.user?.role ?? ''}, admin list ${admin.status}`,
      );
  };

  // At once on the server that handled the change: every cookie issued so far.
  for (const a of attempts) if (a.client.token) await oldState(a, handler, 'right after the PATCH');

  const afterPatch = [signIn(0), signIn(1)];
  await Promise.all([...beforePatch, ...duringPatch, ...afterPatch]);
  const inFlight = attempts.filter((a) => a.status === 200 && (a.answeredAt ?? 0) > patchedAt - 1).length;
  // Every cookie, every server, once the bound has passed (the handling server: again, now with all of them).
  const wait = patchedAt + BOUND_MS - Date.now();
  if (wait > 0) await sleep(wait);
  for (const a of attempts) {
    if (!a.client.token) continue;
    for (const url of urls) await oldState(a, url, 'after the bound');
  }
  const issued = attempts.filter((a) => a.client.token).length;
  assert.deepEqual(stale, [], `${stale.length} checks saw the old state (${issued} sessions issued, ${inFlight} answered after the PATCH)`);
  // Statuses: 200 or the generic 401 of a disabled account; nothing else (no 500, no 429).
  assert.deepEqual(
    [...new Set(attempts.map((a) => a.status))].filter((s) => s !== 200 && s !== 401),
    [],
    `sign-in statuses: ${attempts.map((a) => a.status)}`,
  );
  if ('role' in change) assert.equal(issued, attempts.length, 'a demoted user still signs in (with the new role)');
}

function raceSuite(name: string, open: () => Promise<Setup>): void {
  describe(`S-72: sign-ins racing a demotion, disable or voided password (${name})`, () => {
    let setup: Setup;
    before(async () => {
      setup = await open();
    });
    after(() => setup.close());

    test('demotion: no session of the user, issued before, during or after, keeps admin rights', async () => {
      await race(setup, { role: 'merchant' });
    });

    test('disable: no session of the user, issued before, during or after, keeps working', async () => {
      await race(setup, { disabled: true });
    });

    test('password voided by an admin (leaked-password playbook): no session signed in with the old one survives', async () => {
      await race(setup, { invalidatePassword: true });
    });
  });
}

raceSuite('one server on embedded PGlite (in-process bus, local cache)', async () => {
  const server = await startTestServer({ env: ENV });
  return { servers: [server], secureCookie: true, close: () => server.close() };
});

/** Two servers on one database, each with its own pool, bus and local cache. */
const fleetSetup = (env: Record<string, string>) => async (): Promise<Setup> => {
  const fleet: Fleet = await startFleet(2, { ...ENV, ...env });
  return { servers: fleet.servers, secureCookie: false, close: () => fleet.close() };
};

raceSuite('two servers on a PostgreSQL server (LISTEN/NOTIFY bus)', fleetSetup({}));

raceSuite(
  'two servers on PostgreSQL + Redis (Redis tier and bus)',
  fleetSetup({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: redisPrefix() }),
);
