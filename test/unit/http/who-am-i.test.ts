import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Serializer, type WhoAmI, whoAmIJson } from '../../../src/http/who-am-i.js';
import { NO_SHOPS, type SessionShops } from '../../../src/shops/session-shops.js';
import type { Authenticated } from '../../../src/sessions/session.js';
import { csrfTokenFor, newToken } from '../../../src/sessions/tokens.js';

function signedIn(lastSeen: number): Authenticated {
  return {
    session: {
      idHash: Buffer.alloc(32),
      id: 'public-id',
      userId: 'u1',
      createdAt: new Date(0),
      lastSeenAt: new Date(lastSeen),
      authenticatedAt: new Date(0),
      idleExpiresAt: new Date(lastSeen + 1000),
      absoluteExpiresAt: new Date(10_000),
      remember: false,
      userAgent: 'x',
      ip: 'y',
    },
    user: { id: 'u1', username: 'alice', role: 'merchant', createdAt: new Date(0) },
  };
}

const oneShop: SessionShops = {
  shop: { id: 's1', name: 'Shop', role: 'owner', currency: 'EUR', timezone: 'UTC' },
  shops: [{ id: 's1', name: 'Shop', role: 'owner', currency: 'EUR', timezone: 'UTC', active: true }],
} as unknown as SessionShops; // the shapes' other fields do not matter to the memo, only identity

/** Stands in for the route's reply: JSON.stringify, counting how often it is asked. */
function counting(): Serializer & { calls: number } {
  return {
    calls: 0,
    serialize(body: WhoAmI) {
      this.calls++;
      return JSON.stringify(body);
    },
  };
}

const parsed = (text: unknown): WhoAmI => JSON.parse(String(text)) as WhoAmI;

describe("who am I's body (http/who-am-i.ts)", () => {
  test('made and serialised once per cached session and shops: the same text while both are the same ones', () => {
    const auth = signedIn(0);
    const token = newToken();
    const serializer = counting();
    const first = whoAmIJson(auth, token, NO_SHOPS, serializer);
    assert.equal(whoAmIJson(auth, token, NO_SHOPS, serializer), first);
    assert.equal(serializer.calls, 1, 'serialised once');
    const body = parsed(first);
    assert.equal(body.csrfToken, csrfTokenFor(token));
    assert.equal(body.session.lastSeenAt, new Date(0).toISOString());
    assert.deepEqual([body.shop, body.shops], [null, []]);
  });

  test('new shops (a change forgot the cached ones), a renewed session or another token: a new body', () => {
    const auth = signedIn(0);
    const token = newToken();
    const serializer = counting();
    const before = whoAmIJson(auth, token, NO_SHOPS, serializer);
    const withShop = whoAmIJson(auth, token, oneShop, serializer);
    assert.notEqual(withShop, before);
    assert.deepEqual(parsed(withShop).shop, oneShop.shop);

    const renewed = signedIn(500); // the cache replaces the entry on renewal, never changes it in place
    assert.equal(parsed(whoAmIJson(renewed, token, oneShop, serializer)).session.lastSeenAt, new Date(500).toISOString());

    const other = newToken();
    const forOther = whoAmIJson(auth, other, oneShop, serializer);
    assert.equal(parsed(forOther).csrfToken, csrfTokenFor(other), 'never a body made for another token');
    assert.equal(serializer.calls, 4, 'each new (session, shops, token) serialised once');
  });
});
