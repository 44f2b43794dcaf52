import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  csrfTokenFor,
  csrfTokenMatches,
  csrfTokenOf,
  hashToken,
  isWellFormedToken,
  newToken,
  tokenKey,
} from '../../../src/sessions/tokens.js';

/*
 * Known-answer vectors, computed outside Node (coreutils `sha256sum`, `openssl dgst -sha256 | basenc
 * --base64url`). The stored hash and the derived CSRF token are a format other servers of one
 * installation must agree on, during a rolling upgrade too: a change to either would sign everyone out
 * or refuse every write, so it must be deliberate, never a side effect of a refactor.
 *   printf %s "$T" | sha256sum
 *   printf 'stockade-csrf\0%s' "$T" | openssl dgst -sha256 -binary | basenc --base64url | tr -d =
 */
const VECTORS = [
  {
    token: 'q3Jp0bW8xv2Lr5kQe9sT1uYh7cN4mZ6aD0fG8jK2lP-',
    sha256: 'f0d6371da2097fc3e57e4d016438e1b18b2063dcd0fc5987a89805c49f2089a3',
    csrf: '0SyQ7fEbX6YLq93xYZuOMF6SJ6oK3FlZoGbK6grfRao',
  },
  {
    token: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    sha256: '0f007385b6f9d4b7eeb2748605afe1a984a0a3bfa3f014d09e2a784ce9e5cd1a',
    csrf: 'RNH_wS3Y26rY5kaT3y7ZdP4Pk7a0Ka4wFnWk4hOnbxg',
  },
] as const;

describe('session tokens', () => {
  test('the stored hash is SHA-256 of the token text (known answers)', () => {
    for (const v of VECTORS) assert.equal(hashToken(v.token).toString('hex'), v.sha256);
  });

  test('the local cache key is the same SHA-256 as base64url text (known answers)', () => {
    for (const v of VECTORS) {
      assert.equal(tokenKey(v.token), Buffer.from(v.sha256, 'hex').toString('base64url'));
      assert.equal(tokenKey(v.token), hashToken(v.token).toString('base64url'));
    }
  });

  test('the CSRF token is SHA-256("stockade-csrf\\0" ‖ token), base64url (known answers)', () => {
    for (const v of VECTORS) {
      assert.equal(csrfTokenFor(v.token), v.csrf);
      assert.ok(csrfTokenMatches(v.token, v.csrf));
    }
    assert.ok(!csrfTokenMatches(VECTORS[0].token, VECTORS[1].csrf), 'one session’s CSRF token does not fit another');
    assert.ok(!csrfTokenMatches(VECTORS[0].token, undefined));
    assert.ok(!csrfTokenMatches(VECTORS[0].token, VECTORS[0].csrf.slice(1)));
  });

  test("the CSRF token remembered per session object is that token's, never another token's", () => {
    const session = {};
    const [a, b] = VECTORS;
    assert.equal(csrfTokenOf(session, a.token), a.csrf);
    assert.equal(csrfTokenOf(session, a.token), a.csrf, 'remembered');
    // The same object seen with another token (a rotation reusing a record): derived afresh.
    assert.equal(csrfTokenOf(session, b.token), b.csrf);
    assert.equal(csrfTokenOf({}, a.token), a.csrf, 'another object, its own derivation');
    assert.ok(csrfTokenMatches(a.token, a.csrf, session));
    assert.ok(!csrfTokenMatches(a.token, b.csrf, session), 'a remembered token does not fit another session');
    assert.ok(!csrfTokenMatches(b.token, a.csrf, session));
  });

  test('new tokens are 256 bits in 43 base64url characters, all different', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const t = newToken();
      assert.ok(isWellFormedToken(t), t);
      assert.equal(Buffer.from(t, 'base64url').length, 32);
      seen.add(t);
    }
    assert.equal(seen.size, 1000);
    assert.ok(!isWellFormedToken(`${newToken()}=`));
    assert.ok(!isWellFormedToken('a'.repeat(42)));
  });
});
