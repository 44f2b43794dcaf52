import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TestClient } from '../../support/client.js';
import { type Haproxy, startHaproxy } from '../../support/haproxy.js';
import { testRedisUrl } from '../../support/test-databases.js';
import {
  type Fleet,
  makeUser,
  percentile,
  rawRedis,
  redisCarrier,
  redisPrefix,
  sameSessionOn,
  signedIn,
  signedInAdmin,
  startFleet,
  waitFor,
} from './support.js';

/**
 * Three Stockade servers on one PostgreSQL database and one Redis, behind HAProxy round-robin (no
 * stickiness): a session is valid on all of them, and a revocation through any one is refused by every
 * other one at once. Each server has its own pool, Redis connections, bus subscription and local cache.
 */
describe('three servers behind HAProxy', () => {
  let fleet: Fleet;
  let lb: Haproxy;
  const served = [0, 0, 0];

  before(async () => {
    fleet = await startFleet(3, { REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: redisPrefix() });
    fleet.servers.forEach((s, i) => {
      s.app.server.on('request', () => {
        served[i]!++;
      });
    });
    lb = await startHaproxy(fleet.servers.map((s) => ({ host: '127.0.0.1', port: Number(new URL(s.url).port) })));
  });
  after(async () => {
    await lb?.stop();
    await fleet?.close();
  });

  const urls = () => fleet.servers.map((s) => s.url);

  test('a session made through the balancer works on every server, with no stickiness', async () => {
    const { client } = await signedIn(lb.url);
    const before = [...served];
    for (let i = 0; i < 12; i++) assert.equal((await client.get('/api/auth/session')).status, 200);
    const spread = served.map((n, i) => n - before[i]!);
    assert.ok(
      spread.every((n) => n >= 3),
      `round-robin reached every server: ${spread}`,
    );
    for (const url of urls()) assert.equal((await sameSessionOn(client, url).get('/api/auth/session')).status, 200, url);
  });

  /** Asks every server directly, twice (the second answer comes from its memory), that the session works. */
  async function warm(client: TestClient): Promise<void> {
    for (const url of urls()) {
      for (let i = 0; i < 2; i++) assert.equal((await sameSessionOn(client, url).get('/api/auth/session')).status, 200);
    }
  }

  async function refusedEverywhere(client: TestClient, except?: string): Promise<void> {
    for (const url of urls()) {
      if (url === except) continue;
      assert.equal((await sameSessionOn(client, url).get('/api/auth/session')).status, 401, `still accepted by ${url}`);
    }
  }

  test('logout through one server: every other server refuses the token', async () => {
    const { client } = await signedIn(lb.url);
    await warm(client);
    const copy = sameSessionOn(client, urls()[0]!);
    assert.equal((await sameSessionOn(client, urls()[1]!).post('/api/auth/logout')).status, 204);
    await refusedEverywhere(copy);
  });

  test('revoke-others through one server: the other session is refused everywhere, this one is not', async () => {
    const { client: laptop, username } = await signedIn(lb.url);
    const phone = new TestClient(lb.url, { secureCookie: false });
    assert.equal((await phone.login(username)).status, 200);
    await warm(laptop);
    await warm(phone);
    const res = await sameSessionOn(laptop, urls()[2]!).post('/api/sessions/revoke-others');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { revoked: 1 });
    await refusedEverywhere(phone);
    for (const url of urls()) assert.equal((await sameSessionOn(laptop, url).get('/api/auth/session')).status, 200);
  });

  test('admin kill switch and disabling through one server: every other server refuses at once', async () => {
    const admin = await signedInAdmin(fleet.servers[0]!, lb.url);
    const victim = await signedIn(lb.url);
    await warm(victim.client);
    const kill = await sameSessionOn(admin.client, urls()[1]!).post(`/api/admin/users/${victim.id}/revoke-sessions`);
    assert.equal(kill.status, 200);
    await refusedEverywhere(victim.client);

    const again = new TestClient(lb.url, { secureCookie: false });
    assert.equal((await again.login(victim.username)).status, 200);
    await warm(again);
    const disable = await sameSessionOn(admin.client, urls()[2]!).patch(`/api/admin/users/${victim.id}`, { disabled: true });
    assert.equal(disable.status, 200);
    await refusedEverywhere(again);
  });

  // Propagation = from the moment the revoking server publishes (PostgreSQL and Redis already done) to
  // the moment another server has dropped the session: after that it refuses the token. Measured on
  // the receiving servers (one host, one clock). The HTTP view is printed too: the first request another
  // server gets after the logout response must already be refused (the revoking request waits for its
  // own message to come back from Redis before it answers), and how long that request took.
  // The target (p99 under 50 ms on loopback) holds on a quiet machine (docs/operations.md has the
  // figures); the assertions here are the ones that must hold on a loaded CI machine too, where the
  // three servers, HAProxy and the test share two cores with whatever else runs: every revocation
  // reaches both other servers, none of them accepts the token after the logout answered, and half of
  // all revocations land within 50 ms.
  test('revocation propagation over 200 trials (printed); nothing accepted after logout', async () => {
    const user = await makeUser(fleet.db);
    const [origin, ...others] = fleet.servers;
    const lags: number[] = [];
    for (const s of others) {
      s.deps.sessionStack?.bus?.listen({
        onStateChange() {},
        onRevocation: (_r, sentAt) => lags.push(performance.timeOrigin + performance.now() - sentAt),
      });
    }
    const afterResponse: number[] = [];
    const fromRequest: number[] = [];
    let acceptedAfterLogout = 0;
    for (let trial = 0; trial < 200; trial++) {
      const created = await origin!.deps.sessions.create(user, { userAgent: 'Node.js', ip: '127.0.0.0/24' });
      assert.ok(created);
      const client = new TestClient(origin!.url, { secureCookie: false });
      client.token = created.token;
      client.csrfToken = created.csrfToken;
      const watchers = others.map((s) => sameSessionOn(client, s.url));
      for (const w of watchers) {
        assert.equal((await w.get('/api/auth/session')).status, 200);
        assert.equal((await w.get('/api/auth/session')).status, 200);
      }
      const t0 = performance.now();
      assert.equal((await client.post('/api/auth/logout')).status, 204);
      const t1 = performance.now();
      const refusedAt = await Promise.all(
        watchers.map(async (w) => {
          for (let i = 0; ; i++) {
            if ((await w.get('/api/auth/session', {})).status === 401) return performance.now();
            acceptedAfterLogout++;
            if (i > 1000) throw new Error('never refused');
          }
        }),
      );
      for (const t of refusedAt) {
        afterResponse.push(t - t1);
        fromRequest.push(t - t0);
      }
    }
    const fmt = (xs: number[]) =>
      `p50 ${percentile(xs, 50).toFixed(2)} ms, p99 ${percentile(xs, 99).toFixed(2)} ms, max ${Math.max(...xs).toFixed(2)} ms`;
    const report = [
      `revocation propagation, 200 logouts on server 1, refusal checked on servers 2 and 3 (${afterResponse.length} samples):`,
      `  propagation (revocation published → dropped by the other server): ${fmt(lags)}`,
      `  requests another server accepted after the logout response: ${acceptedAfterLogout}`,
      `  logout response → other server's 401 received (one HTTP round trip): ${fmt(afterResponse)}`,
      `  logout request sent → other server's 401 received: ${fmt(fromRequest)}`,
    ].join('\n');
    process.stdout.write(`# ${report.replaceAll('\n', '\n# ')}\n`);
    assert.equal(lags.length, 400, 'every revocation reached both other servers');
    assert.equal(acceptedAfterLogout, 0, report);
    assert.ok(percentile(lags, 50) < 50, report);
    assert.ok(percentile(lags, 99) < 1000, report);
  });

  test('bus cut on one server (CLIENT KILL): it never accepts a token revoked meanwhile', async () => {
    const admin = await rawRedis([testRedisUrl()]);
    try {
      const origin = fleet.servers[0]!;
      const cut = fleet.servers[2]!;
      const user = await makeUser(fleet.db);
      for (let round = 0; round < 5; round++) {
        const created = await origin.deps.sessions.create(user, { userAgent: 'Node.js', ip: '127.0.0.0/24' });
        assert.ok(created);
        const client = new TestClient(origin.url, { secureCookie: false });
        client.token = created.token;
        client.csrfToken = created.csrfToken;
        const watcher = sameSessionOn(client, cut.url);
        assert.equal((await watcher.get('/api/auth/session')).status, 200);
        const sub = redisCarrier(cut.deps.sessionStack).subscriberId();
        assert.ok(sub);
        await admin.call('CLIENT', 'KILL', 'ID', String(sub.id));
        assert.equal((await client.post('/api/auth/logout')).status, 204);
        for (let i = 0; i < 20; i++) assert.equal((await watcher.get('/api/auth/session')).status, 401, `round ${round}`);
        await waitFor('Redis bus back', () => redisCarrier(cut.deps.sessionStack).up);
        assert.equal((await watcher.get('/api/auth/session')).status, 401);
      }
    } finally {
      admin.disconnect();
    }
  });
});
