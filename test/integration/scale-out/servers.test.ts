import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TestClient } from '../../support/client.js';
import { openEventStream } from '../../support/event-stream.js';
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

  test('a role change and a removal through one server: the member’s next request on every other server obeys at once; the session lives; a stream elsewhere is told', async () => {
    const owner = await signedIn(lb.url);
    const clerk = await signedIn(lb.url);
    const shopId = (await fleet.db.query<{ shop_id: string }>('SELECT shop_id FROM memberships WHERE user_id = $1', [owner.id])).rows[0]!
      .shop_id;
    await fleet.db.query(`INSERT INTO memberships (shop_id, user_id, role) VALUES ($1, $2, 'clerk')`, [shopId, clerk.id]);
    assert.equal((await clerk.client.post('/api/auth/shop', { shopId })).status, 200);
    const item = (await owner.client.post('/api/items', { sku: 'FLEET', name: 'fleet', quantity: 100 })).body.item;
    const adjust = (c: TestClient) => c.post(`/api/items/${item.id}/adjustments`, { delta: 1, reason: 'received' });
    // Warm every server for the clerk: the session in every local cache, the adjustment allowed on each.
    for (const url of urls()) {
      assert.equal((await adjust(sameSessionOn(clerk.client, url))).status, 201, url);
      assert.equal((await sameSessionOn(clerk.client, url).get('/api/auth/session')).body.shop.role, 'clerk');
    }
    // The clerk's open tab holds its stream on server 2; the owner works through server 0.
    const stream = await openEventStream(sameSessionOn(clerk.client, urls()[2]!));
    assert.equal(stream.status, 200);
    await waitFor('the stream is registered', () => fleet.servers[2]!.deps.events.size > 0);
    const ownerOn0 = sameSessionOn(owner.client, urls()[0]!);
    try {
      const demoted = await ownerOn0.patch(`/api/shop/members/${clerk.id}`, { role: 'viewer' });
      const answered = performance.now();
      assert.equal(demoted.status, 200, demoted.text);
      for (const url of urls().slice(1)) {
        const first = await adjust(sameSessionOn(clerk.client, url));
        // The very first request after the answer, on a server whose cache holds the session: refused.
        assert.equal(first.status, 403, `${url}: the first request after the change answered ${first.status}`);
        assert.equal(first.body.code, 'forbidden');
      }
      const told = await stream.next('shop.changed');
      assert.deepEqual(told.data, { shopId, reason: 'role_changed' });
      assert.ok(told.at - answered <= 200, `role change answered → event on another server after ${Math.round(told.at - answered)} ms`);
      for (const url of urls()) {
        const who = await sameSessionOn(clerk.client, url).get('/api/auth/session');
        assert.equal(who.status, 200, `${url}: the session survives`);
        assert.equal(who.body.shop.role, 'viewer', url);
        assert.equal((await sameSessionOn(clerk.client, url).get(`/api/items/${item.id}`)).status, 200, `${url}: a viewer still reads`);
      }

      const removed = await sameSessionOn(owner.client, urls()[1]!).delete(`/api/shop/members/${clerk.id}`);
      const removedAt = performance.now();
      assert.equal(removed.status, 204, removed.text);
      for (const url of [urls()[0]!, urls()[2]!]) {
        const first = await sameSessionOn(clerk.client, url).get(`/api/items/${item.id}`);
        assert.equal(first.status, 403, `${url}: the first request after the removal answered ${first.status}`);
      }
      await waitFor('the removal is told', () =>
        stream.events.some((e) => e.event === 'shop.changed' && (e.data as { reason: string }).reason === 'removed'),
      );
      const removal = stream.events.find((e) => e.event === 'shop.changed' && (e.data as { reason: string }).reason === 'removed')!;
      assert.ok(removal.at - removedAt <= 200, `removal answered → event on another server after ${Math.round(removal.at - removedAt)} ms`);
      assert.equal(stream.isEnded, false, 'no session ended');
      for (const url of urls()) {
        const who = await sameSessionOn(clerk.client, url).get('/api/auth/session');
        assert.equal(who.status, 200, `${url}: still signed in`);
        assert.equal(who.body.shop, null, `${url}: out of the shop`);
      }
    } finally {
      stream.close();
    }
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
