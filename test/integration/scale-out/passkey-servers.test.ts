import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TestClient } from '../../support/client.js';
import { type Haproxy, startHaproxy } from '../../support/haproxy.js';
import { SoftAuthenticator } from '../../support/soft-authenticator.js';
import { testRedisUrl } from '../../support/test-databases.js';
import { type Fleet, redisPrefix, signedIn, startFleet } from './support.js';

/**
 * WebAuthn challenges across servers (S-80): three servers on one PostgreSQL database behind HAProxy.
 * A challenge issued by one server is answered on another (it lives in PostgreSQL, not in the memory
 * of the server that issued it), and used once whichever servers the answers reach.
 */
const ORIGIN = 'https://stockade.test';

describe('passkeys on three servers behind HAProxy', () => {
  let fleet: Fleet;
  let lb: Haproxy;
  before(async () => {
    fleet = await startFleet(3, { REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: redisPrefix(), PUBLIC_URL: ORIGIN });
    lb = await startHaproxy(fleet.servers.map((s) => ({ host: '127.0.0.1', port: Number(new URL(s.url).port) })));
  });
  after(async () => {
    await lb?.stop();
    await fleet?.close();
  });

  test('options from one server, the answer on another; the same answer to all three at once signs in once', async () => {
    const [a, b, c] = fleet.servers.map((s) => s.url) as [string, string, string];
    // Registered through the balancer.
    const { client } = await signedIn(lb.url);
    const authenticator = new SoftAuthenticator(ORIGIN);
    const creation = await client.post('/api/me/passkeys/options');
    assert.equal(creation.status, 200, creation.text);
    const registered = await client.post('/api/me/passkeys', { response: authenticator.create(creation.body).response });
    assert.equal(registered.status, 201, registered.text);

    const issuedOnA = await new TestClient(a, { secureCookie: false }).post('/api/auth/passkey/options');
    const onB = await new TestClient(b, { secureCookie: false }).post('/api/auth/passkey', { response: authenticator.get(issuedOnA.body) });
    assert.equal(onB.status, 200, onB.text);

    const issued = await new TestClient(c, { secureCookie: false }).post('/api/auth/passkey/options');
    const response = authenticator.get(issued.body);
    const statuses = (
      await Promise.all([a, b, c].map((url) => new TestClient(url, { secureCookie: false }).post('/api/auth/passkey', { response })))
    ).map((r) => r.status);
    assert.deepEqual([...statuses].sort(), [200, 401, 401]);
  });
});
