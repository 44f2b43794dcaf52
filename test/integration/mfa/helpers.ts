import assert from 'node:assert/strict';
import { Secret } from 'otpauth';
import { codeAt } from '../../../src/auth/second-factor/totp.js';
import type { TestServer } from '../../support/app.js';
import { type ApiResponse, PASSWORD, parseSetCookie, TestClient } from '../../support/client.js';

/**
 * Second-factor test helpers. Each TOTP code works once per user (and no older one after it), so a
 * test that needs several codes moves the server's clock (`TestClock`) a step forward for each.
 */

export class TestClock {
  offset = 0;
  readonly now = () => Date.now() + this.offset;
  /**
   * One step on, then the code of that step: each call a new code, and one in the middle of the
   * server's ±1 step window (a slow machine may take many seconds before the code is sent).
   */
  nextCode(secret: Buffer): string {
    this.offset += 30_000;
    return codeAt(secret, this.now());
  }
}

export interface Enrolled {
  client: TestClient;
  id: string;
  username: string;
  secret: Buffer;
  recoveryCodes: string[];
  /** The code that confirmed the enrolment (used: it must not work again). */
  confirmingCode: string;
}

/** A merchant with TOTP confirmed (signed in on `client`, which is freshly authenticated). */
export async function enrolledMerchant(server: TestServer, clock: TestClock): Promise<Enrolled> {
  const client = new TestClient(server.url, { secureCookie: server.config.cookieSecure });
  const user = await client.register();
  const begun = await client.post('/api/me/mfa/totp');
  assert.equal(begun.status, 200, begun.text);
  const secret = Buffer.from(Secret.fromBase32(begun.body.secret).bytes);
  const confirmingCode = clock.nextCode(secret);
  const confirmed = await client.post('/api/me/mfa/totp/confirm', { code: confirmingCode });
  assert.equal(confirmed.status, 200, confirmed.text);
  assert.equal(confirmed.body.recoveryCodes.length, 10);
  return { client, id: user.id, username: user.username, secret, recoveryCodes: confirmed.body.recoveryCodes, confirmingCode };
}

/** The pending cookie a sign-in answer set, as `name=value` for a Cookie header. */
export function pendingCookie(res: ApiResponse): string {
  const line = res.setCookies.find((l) => /^(__Host-)?mfa=/.test(l));
  assert.ok(line, `no pending cookie in ${JSON.stringify(res.setCookies)}`);
  const { name, value } = parseSetCookie(line);
  return `${name}=${value}`;
}

/** The password step: a fresh client and its pending cookie. */
export async function passwordStep(server: TestServer, username: string, opts: { remember?: boolean; localAddress?: string } = {}) {
  const client = new TestClient(server.url, { secureCookie: server.config.cookieSecure });
  const res = await client.login(username, PASSWORD, opts);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.body, { mfaRequired: true, methods: ['totp', 'recoveryCode'] });
  return { client, cookie: pendingCookie(res), res };
}

/** The second step with `body` ({code} or {recoveryCode}) and the pending cookie. */
export function secondStep(client: TestClient, cookie: string, body: unknown, localAddress?: string) {
  return client.post('/api/auth/login/mfa', body, { headers: { cookie }, ...(localAddress ? { localAddress } : {}) });
}
