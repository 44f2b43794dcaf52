import assert from 'node:assert/strict';
import type { TestServer } from '../../support/app.js';
import { TestClient } from '../../support/client.js';
import { SoftAuthenticator } from '../../support/soft-authenticator.js';
import { pendingCookie } from './helpers.js';

/**
 * Passkey test helpers: servers whose PUBLIC_URL names a host name (the RP ID), and users who hold a
 * passkey on a software authenticator (test/support/soft-authenticator.ts).
 */

export const PASSKEY_ORIGIN = 'https://stockade.test';
export const PASSKEY_ENV = { PUBLIC_URL: PASSKEY_ORIGIN };

export interface PasskeyUser {
  client: TestClient;
  id: string;
  username: string;
  authenticator: SoftAuthenticator;
  passkeyId: string;
  recoveryCodes: string[];
}

/** A merchant with one passkey (signed in on `client`, freshly authenticated). */
export async function passkeyMerchant(server: TestServer): Promise<PasskeyUser> {
  const client = new TestClient(server.url, { secureCookie: server.config.cookieSecure });
  const user = await client.register();
  const authenticator = new SoftAuthenticator(PASSKEY_ORIGIN);
  const options = await client.post('/api/me/passkeys/options');
  assert.equal(options.status, 200, options.text);
  const { response } = authenticator.create(options.body);
  const registered = await client.post('/api/me/passkeys', { response, name: 'Laptop' });
  assert.equal(registered.status, 201, registered.text);
  assert.equal(registered.body.recoveryCodes.length, 10);
  return {
    client,
    id: user.id,
    username: user.username,
    authenticator,
    passkeyId: registered.body.passkey.id,
    recoveryCodes: registered.body.recoveryCodes,
  };
}

/** The password step of a user with a passkey: a fresh client, its pending cookie and the second step's options. */
export async function passkeyPasswordStep(server: TestServer, username: string) {
  const client = new TestClient(server.url, { secureCookie: server.config.cookieSecure });
  const res = await client.login(username);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.mfaRequired, true);
  const cookie = pendingCookie(res);
  const options = await client.post('/api/auth/login/mfa/options', undefined, { headers: { cookie } });
  assert.equal(options.status, 200, options.text);
  return { client, cookie, options: options.body };
}

/** Fresh options for passwordless sign-in. */
export async function passwordlessOptions(server: TestServer) {
  const res = await new TestClient(server.url).post('/api/auth/passkey/options');
  assert.equal(res.status, 200, res.text);
  return res.body;
}
