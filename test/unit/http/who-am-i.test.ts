import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { whoAmI } from '../../../src/http/who-am-i.js';
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

describe("who am I's body (http/who-am-i.ts)", () => {
  test('made once per cached session and shops: the same object while both are the same ones', () => {
    const auth = signedIn(0);
    const token = newToken();
    const first = whoAmI(auth, token, NO_SHOPS);
    assert.equal(whoAmI(auth, token, NO_SHOPS), first);
    assert.equal(first.csrfToken, csrfTokenFor(token));
    assert.equal(first.session.lastSeenAt, new Date(0).toISOString());
    assert.deepEqual([first.shop, first.shops], [null, []]);
  });

  test('new shops (a change forgot the cached ones), a renewed session or another token: a new body', () => {
    const auth = signedIn(0);
    const token = newToken();
    const before = whoAmI(auth, token, NO_SHOPS);
    const withShop = whoAmI(auth, token, oneShop);
    assert.notEqual(withShop, before);
    assert.equal(withShop.shop, oneShop.shop);

    const renewed = signedIn(500); // the cache replaces the entry on renewal, never changes it in place
    assert.equal(whoAmI(renewed, token, oneShop).session.lastSeenAt, new Date(500).toISOString());

    const other = newToken();
    const forOther = whoAmI(auth, other, oneShop);
    assert.equal(forOther.csrfToken, csrfTokenFor(other), 'never a body made for another token');
  });
});
