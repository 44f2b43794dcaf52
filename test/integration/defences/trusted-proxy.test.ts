import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestServer, type TestServer } from '../../support/app.js';
import { PASSWORD, TestClient, uniqueUsername } from '../../support/client.js';
import { freshAddress } from './helpers.js';

/**
 * Trusted proxies only (docs/security.md S-75): TRUST_PROXY names how many proxies stand in front (a hop
 * count) or which addresses they have (a list of addresses/CIDRs), and the client address is the
 * right-most address in X-Forwarded-For that is not a trusted proxy. Whatever a client writes to the
 * left of that — a forged address per request — changes neither the address the sign-in throttle and
 * the sign-up quota count, nor the address the audit trail records.
 *
 * The test client plays the proxy: it connects from 127.0.0.1 and appends the "real" client address
 * to whatever X-Forwarded-For the client sent, exactly as HAProxy's `option forwardfor` would if the
 * client's header were not removed first (deploy/haproxy.cfg removes it; this is the belt under the braces).
 */
const ENV = {
  LOGIN_MAX_FAILURES: '3',
  LOGIN_ADDRESS_MAX_FAILURES: '6',
  LOGIN_LOCKOUT_BASE: '30s',
  LOGIN_LOCKOUT_MAX: '1m',
  LOGIN_FAILURE_WINDOW: '1m',
  REGISTER_ADDRESS_MAX: '2',
};

/** A different documentation address (RFC 5737) per call: what an attacker would put in the header. */
let forgedHost = 0;
const forged = () => {
  forgedHost = (forgedHost % 250) + 1;
  return `198.51.100.${forgedHost}`;
};

/** The audited address of a user's events, polled: audit rows are written after the answer. */
async function auditedAddresses(server: TestServer, userId: string, type: string, count: number): Promise<string[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await server.db.query<{ ip: string | null }>('SELECT ip FROM audit_events WHERE user_id = $1 AND type = $2 ORDER BY id', [
      userId,
      type,
    ]);
    if (res.rows.length >= count || Date.now() > deadline) return res.rows.map((r) => String(r.ip));
    await sleep(50);
  }
}

/**
 * The same checks for each way of naming the proxies. `viaProxy(chain)` sends a request as the proxy
 * in front would deliver it: `chain` is the X-Forwarded-For the app receives (the client's own claims,
 * then what each trusted proxy appended), sent from `proxyAddress`.
 */
const setups = [
  // A hop count cannot tell the proxy from a client that bypasses it (that is why the app port must be
  // reachable by the proxy only, docs/operations.md); an address list can.
  {
    name: 'TRUST_PROXY=1 (hop count)',
    trust: '1',
    proxyAddress: '127.0.0.1',
    behind: (client: string) => [client],
    knowsItsProxies: false,
  },
  {
    name: 'TRUST_PROXY=127.0.0.1,10.0.0.0/8 (addresses)',
    trust: '127.0.0.1, 10.0.0.0/8',
    proxyAddress: '127.0.0.1',
    // Two trusted proxies: an edge proxy at 10.1.2.3 in front of the one on this host.
    behind: (client: string) => [client, '10.1.2.3'],
    knowsItsProxies: true,
  },
] as const;

for (const database of ['pglite', 'postgres'] as const) {
  for (const setup of setups) {
    describe(`behind a trusted proxy, ${setup.name}, on ${database}`, () => {
      let server: TestServer;
      before(async () => {
        server = await startTestServer({ database, env: { ...ENV, TRUST_PROXY: setup.trust } });
      });
      after(() => server.close());

      /** What a client at `client` sends through the proxies, with a forged address of its choosing in front. */
      const through = (client: string) => ({
        localAddress: setup.proxyAddress,
        headers: { 'x-forwarded-for': [forged(), ...setup.behind(client)].join(', ') },
      });

      test('a forged X-Forwarded-For per request does not escape the address limit', async () => {
        const statuses: number[] = [];
        for (let i = 1; i <= 7; i++) {
          statuses.push((await new TestClient(server.url).login(uniqueUsername('xff'), 'guess', through('203.0.113.7'))).status);
        }
        assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429, 429], 'the 6th failure from 203.0.113.7 locks that address');
        const other = await new TestClient(server.url).login(uniqueUsername('xff'), 'guess', through('203.0.113.80'));
        assert.equal(other.status, 401, 'another client behind the same proxy is not locked');
      });

      test('the audit trail records the client address, not the forged one', async () => {
        const { id, username } = await new TestClient(server.url).register();
        const res = await new TestClient(server.url).login(username, 'not the password', through('192.0.2.44'));
        assert.equal(res.status, 401);
        assert.deepEqual(await auditedAddresses(server, id, 'login.failure', 1), ['192.0.2.0/24']);
      });

      test('a forged X-Forwarded-For per request does not escape the sign-up quota', async () => {
        const statuses: number[] = [];
        for (let i = 0; i < 3; i++) {
          const res = await new TestClient(server.url).post(
            '/api/auth/register',
            { username: uniqueUsername('q'), password: PASSWORD },
            through('203.0.113.99'),
          );
          statuses.push(res.status);
        }
        assert.deepEqual(statuses, [201, 201, 429]);
      });

      if (setup.knowsItsProxies) {
        test('a client that reaches the app directly cannot claim an address', async () => {
          const from = freshAddress(); // 127.0.0.N: not a trusted proxy
          const statuses: number[] = [];
          for (let i = 1; i <= 7; i++) {
            const res = await new TestClient(server.url).login(uniqueUsername('direct'), 'guess', {
              localAddress: from,
              headers: { 'x-forwarded-for': forged() },
            });
            statuses.push(res.status);
          }
          assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429, 429], `the limit counts ${from}, whatever it claims`);
        });
      }

      test('/metrics is not served without the token when a proxy is trusted, even to a loopback client', async () => {
        for (const headers of [{}, { 'x-forwarded-for': '127.0.0.1' }] as Record<string, string>[]) {
          const res = await new TestClient(server.url).get('/metrics', { headers });
          assert.equal(res.status, 403, JSON.stringify(headers));
          assert.equal(res.body.code, 'forbidden');
          assert.doesNotMatch(res.text, /stockade_http_request_duration_seconds/);
        }
      });
    });
  }
}

describe('metrics behind a trusted proxy with METRICS_TOKEN and METRICS_TOKEN_PREVIOUS', () => {
  const TOKEN = 'metrics-token-new-0123456789abcdef';
  const PREVIOUS = 'metrics-token-old-0123456789abcdef';
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: { TRUST_PROXY: '1', METRICS_TOKEN: TOKEN, METRICS_TOKEN_PREVIOUS: PREVIOUS } });
  });
  after(() => server.close());

  test('both tokens scrape, through the proxy or not; anything else is 401', async () => {
    const c = new TestClient(server.url);
    for (const token of [TOKEN, PREVIOUS]) {
      for (const extra of [{}, { 'x-forwarded-for': '203.0.113.5' }] as Record<string, string>[]) {
        const res = await c.get('/metrics', { headers: { authorization: `Bearer ${token}`, ...extra } });
        assert.equal(res.status, 200, `${token} ${JSON.stringify(extra)}`);
        assert.match(res.text, /stockade_http_request_duration_seconds/);
      }
    }
    for (const authorization of [undefined, `Bearer ${TOKEN},${PREVIOUS}`, `Bearer ${PREVIOUS}x`, `Bearer ${TOKEN.slice(0, -1)}`]) {
      const res = await c.get('/metrics', { headers: authorization ? { authorization } : {} });
      assert.equal(res.status, 401, String(authorization));
      assert.equal(res.body.code, 'unauthenticated');
    }
  });
});
