import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../../support/app.js';
import { PASSWORD, TestClient } from '../../support/client.js';
import { type EventStream, openEventStream, waitFor } from '../../support/event-stream.js';
import { testRedisUrl } from '../../support/test-databases.js';
import { type Fleet, redisPrefix, signedInAdmin, startFleet } from '../scale-out/support.js';

/**
 * GET /api/events over real HTTP (docs/api.md "Events"): a stream hears why its session ended —
 * signed out elsewhere, revoked by an admin, disabled, password changed, idle — on every store stack
 * (embedded PGlite with the in-process bus, a PostgreSQL server with LISTEN/NOTIFY, and with Redis
 * pub/sub beside it), and reading it never keeps a session alive.
 */

interface Setup {
  readonly name: string;
  start(env: Record<string, string>): Promise<{ server: TestServer; close(): Promise<void> }>;
}

const SETUPS: Setup[] = [
  {
    name: 'pglite (in-process bus)',
    async start(env) {
      const server = await startTestServer({ env: { COOKIE_SECURE: 'false', ...env } });
      return { server, close: () => server.close() };
    },
  },
  {
    name: 'postgres server (LISTEN/NOTIFY)',
    async start(env) {
      const fleet: Fleet = await startFleet(1, env);
      return { server: fleet.servers[0]!, close: () => fleet.close() };
    },
  },
  {
    name: 'postgres server + redis (both carriers)',
    async start(env) {
      const fleet: Fleet = await startFleet(1, { REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: redisPrefix(), ...env });
      return { server: fleet.servers[0]!, close: () => fleet.close() };
    },
  },
];

for (const setup of SETUPS) {
  describe(`event streams: ${setup.name}`, () => {
    let server: TestServer;
    let close: () => Promise<void>;
    const open: EventStream[] = [];
    before(async () => {
      ({ server, close } = await setup.start({ EVENTS_MAX_STREAMS: '6' }));
    });
    after(async () => {
      for (const s of open) s.close();
      await close();
    });

    const client = () => new TestClient(server.url, { secureCookie: false });
    const stream = async (c: TestClient) => {
      const s = await openEventStream(c);
      open.push(s);
      return s;
    };
    /** A merchant signed in on two devices: `a` holds the stream, `b` acts elsewhere. */
    const twoDevices = async () => {
      const a = client();
      const { username, id } = await a.register();
      const b = client();
      assert.equal((await b.login(username)).status, 200);
      return { a, b, username, id };
    };

    test('the stream opens as text/event-stream, uncached, with the security headers', async () => {
      const a = client();
      await a.register();
      const s = await stream(a);
      assert.equal(s.status, 200);
      assert.match(String(s.headers['content-type']), /^text\/event-stream/);
      assert.equal(s.headers['cache-control'], 'no-store');
      assert.equal(s.headers['x-content-type-options'], 'nosniff');
      assert.ok(s.headers['x-request-id']);
      s.close();
    });

    test('anonymous: 401 problem, no stream', async () => {
      const s = await stream(client());
      assert.equal(s.status, 401);
      assert.match(String(s.headers['content-type']), /^application\/problem\+json/);
      assert.equal(JSON.parse(s.text).code, 'unauthenticated');
    });

    test('sign-out on another device ends the stream with signed_out', async () => {
      const { a, b } = await twoDevices();
      const s = await stream(a);
      const mine = (await b.get('/api/sessions')).body.sessions as { id: string; current: boolean }[];
      const other = mine.find((x) => !x.current)!;
      assert.equal((await b.delete(`/api/sessions/${other.id}`)).status, 204);
      assert.deepEqual((await s.next('session.ended')).data, { reason: 'signed_out' });
      await s.ended;
    });

    test('logout from another tab of the same session: signed_out; "sign out everywhere else": signed_out', async () => {
      const { a, b, username } = await twoDevices();
      const s = await stream(a);
      const sameTab = a.clone();
      assert.equal((await sameTab.post('/api/auth/logout')).status, 204);
      assert.deepEqual((await s.next('session.ended')).data, { reason: 'signed_out' });
      const c = client();
      assert.equal((await c.login(username)).status, 200);
      const t = await stream(c);
      assert.equal((await b.post('/api/sessions/revoke-others')).status, 200);
      assert.deepEqual((await t.next('session.ended')).data, { reason: 'signed_out' });
    });

    test('an administrator revokes the sessions: revoked; disables the account: disabled', async () => {
      const { a, b, id, username } = await twoDevices();
      const admin = await signedInAdmin(server);
      const s = await stream(a);
      const t = await stream(b);
      assert.equal((await admin.client.post(`/api/admin/users/${id}/revoke-sessions`)).status, 200);
      assert.deepEqual((await s.next('session.ended')).data, { reason: 'revoked' });
      assert.deepEqual((await t.next('session.ended')).data, { reason: 'revoked' });
      await Promise.all([s.ended, t.ended]);

      const again = client();
      assert.equal((await again.login(username)).status, 200);
      const u = await stream(again);
      assert.equal((await admin.client.patch(`/api/admin/users/${id}`, { disabled: true })).status, 200);
      assert.deepEqual((await u.next('session.ended')).data, { reason: 'disabled' });
    });

    test('password change on one device: the others hear password_changed; its own stream closes quietly (rotated)', async () => {
      const { a, b } = await twoDevices();
      const s = await stream(a);
      const own = await stream(b);
      const res = await b.post('/api/auth/password', { currentPassword: PASSWORD, newPassword: 'a new passphrase for the stream test' });
      assert.equal(res.status, 200);
      assert.deepEqual((await s.next('session.ended')).data, { reason: 'password_changed' });
      await own.ended;
      assert.deepEqual(own.events, [], 'the rotated session was not told it ended');
      // …and reconnects with the new cookie.
      const next = await stream(b);
      assert.equal(next.status, 200);
      next.close();
    });

    test('a stream ends when its session does: nothing more is written, the socket closes', async () => {
      const { a } = await twoDevices();
      const s = await stream(a);
      assert.equal((await a.clone().post('/api/auth/logout')).status, 204);
      await s.ended;
      assert.equal(s.events.length, 1);
      await waitFor(() => server.deps.events.size === open.filter((x) => !x.isEnded).length, 'the server forgot the stream');
    });

    test('at most 3 streams per session: a 4th closes the oldest', async () => {
      const a = client();
      await a.register();
      const first = await stream(a);
      const rest = [await stream(a), await stream(a), await stream(a)];
      await first.ended;
      assert.deepEqual(first.events, []);
      for (const s of rest) assert.equal(s.isEnded, false);
      for (const s of rest) s.close();
    });

    test('EVENTS_MAX_STREAMS per server: one more is 503 with Retry-After, and nothing was opened', async () => {
      for (const s of open) s.close();
      await waitFor(() => server.deps.events.size === 0, 'every earlier stream forgotten');
      const held: EventStream[] = [];
      for (let i = 0; i < 2; i++) {
        const c = client();
        await c.register();
        for (let j = 0; j < 3; j++) held.push(await stream(c));
      }
      assert.equal(server.deps.events.size, 6);
      const c = client();
      await c.register();
      const refused = await stream(c);
      assert.equal(refused.status, 503);
      assert.equal(JSON.parse(refused.text).code, 'unavailable');
      assert.ok(Number(refused.headers['retry-after']) > 0);
      assert.equal(server.deps.events.size, 6);
      for (const s of held) s.close();
      await waitFor(() => server.deps.events.size === 0, 'closed streams forgotten');
    });

    test('shop.changed reaches the streams of the member it names, and no one else', async () => {
      const { a, id } = await twoDevices();
      const stranger = client();
      await stranger.register();
      const s = await stream(a);
      const t = await stream(stranger);
      const bus = server.deps.sessionStack?.bus;
      assert.ok(bus);
      await bus.announce({ kind: 'shop.changed', shopId: 'shop-1', userId: id, reason: 'role_changed' });
      assert.deepEqual((await s.next('shop.changed')).data, { shopId: 'shop-1', reason: 'role_changed' });
      await sleep(100);
      assert.deepEqual(t.events, []);
      assert.equal(s.isEnded, false, 'a shop change ends no session');
      s.close();
      t.close();
    });
  });
}

// 4 s: the first test opens four streams (and sleeps past the renewal interval between them) before it
// needs the session still alive; 2 s left that under a second of slack for a loaded machine.
const IDLE_MS = 4000;

describe(`event streams and idle expiry (SESSION_IDLE_TIMEOUT=${IDLE_MS / 1000}s)`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({
      env: { COOKIE_SECURE: 'false', SESSION_IDLE_TIMEOUT: `${IDLE_MS / 1000}s`, SESSION_ABSOLUTE_TIMEOUT: '1h', EVENTS_HEARTBEAT: '0.2s' },
    });
  });
  after(() => server.close());
  const client = () => new TestClient(server.url, { secureCookie: false });

  test('an idle session: the stream says expired, and holding (and reopening) it kept nothing alive', async () => {
    const a = client();
    const { id } = await a.register();
    const opened = performance.now();
    const s = await openEventStream(a);
    // Reconnecting is no activity either: a browser's retries must not renew the session. Renewal would
    // be due after idle/10, so each reopening below would write a new lastSeenAt.
    for (let i = 0; i < 3; i++) {
      await sleep(IDLE_MS / 10 + 100);
      (await openEventStream(a)).close();
    }
    const again = await openEventStream(a);
    assert.equal(again.status, 200);
    const [row] = await server.deps.sessionStore.listUser(id);
    assert.ok(row);
    assert.equal(row.lastSeenAt.getTime(), row.createdAt.getTime(), 'opening streams never renewed the session');
    const ended = await s.next('session.ended', 10_000);
    assert.deepEqual(ended.data, { reason: 'expired' });
    assert.deepEqual((await again.next('session.ended', 10_000)).data, { reason: 'expired' });
    const after = ended.at - opened;
    assert.ok(
      after >= IDLE_MS - 500 && after < IDLE_MS + 4000,
      `expired ${Math.round(after)} ms after the stream opened (idle ${IDLE_MS} ms)`,
    );
    assert.ok(s.comments >= 3, `heartbeats kept the stream open (${s.comments} comment lines)`);
    assert.equal((await a.get('/api/auth/session')).status, 401, 'the session is over');
  });

  test('activity elsewhere keeps the session, and the stream, alive; the stream ends once it stops', async () => {
    const a = client();
    await a.register();
    const s = await openEventStream(a);
    const until = Date.now() + IDLE_MS + 1500;
    while (Date.now() < until) {
      assert.equal((await a.get('/api/auth/session')).status, 200);
      await sleep(250);
    }
    assert.equal(s.isEnded, false, 'renewed by the other requests: the stream still open past the first idle expiry');
    assert.deepEqual((await s.next('session.ended', 10_000)).data, { reason: 'expired' });
  });
});

describe('event streams and shutdown', () => {
  test('closing the app ends its streams instead of waiting on them (main.ts drains with app.close())', async () => {
    const server = await startTestServer({ env: { COOKIE_SECURE: 'false' } });
    const a = new TestClient(server.url, { secureCookie: false });
    await a.register();
    const s = await openEventStream(a);
    let closed = false;
    const closing = server.close().then(() => {
      closed = true;
    });
    // Generous: a stream left open would hold app.close() until the client went away, i.e. for ever.
    await Promise.race([closing, sleep(8000)]);
    assert.ok(closed, 'app.close() finished with a stream open');
    await s.ended;
    assert.deepEqual(s.events, [], 'no session ended: the browser just reconnects');
  });
});
