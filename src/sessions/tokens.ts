import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/*
 * The token is the only secret the browser holds: 32 bytes from the CSPRNG, base64url (43 chars).
 * Stores key on SHA-256(token), so a dump of PostgreSQL or Redis cannot sign anyone in; the lookup
 * hashes what the client presents, so the hot path needs no constant-time compare.
 */

const TOKEN_BYTES = 32;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export function newToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/** Refuse anything that is not exactly a token before hashing it (cheap, and keeps junk out of logs). */
export function isWellFormedToken(value: string): boolean {
  return TOKEN_SHAPE.test(value);
}

// `hash` is the one-shot form (Node >= 20.12): half the cost of createHash().update().digest(), which
// allocates a Hash object per call, and this runs on every request.
export function hashToken(token: string): Buffer {
  return hash('sha256', token, 'buffer');
}

/**
 * The same SHA-256, as base64url text: the local cache's key (tiers/local-cached-store.ts), equal to
 * `hashToken(token).toString('base64url')`. Asked for as text, the digest costs well under half of the
 * Buffer form and its conversion (a Buffer per request is a native allocation: ~2.5 µs of a "who am I",
 * issue 20); the Buffer is made from it only when a store must be asked.
 */
export function tokenKey(token: string): string {
  return hash('sha256', token, 'base64url');
}

/** A public handle for a session (lists, revoke one): random, unrelated to the token. */
export function newPublicId(): string {
  return randomBytes(12).toString('base64url');
}

/**
 * The session's CSRF token, derived from the session token with a one-way, domain-separated hash:
 * unguessable without the cookie, different for every session, rotated whenever the session token is,
 * and nothing to store (a leaked store row does not reveal it either, since rows hold SHA-256(token)).
 */
export function csrfTokenFor(token: string): string {
  return hash('sha256', `stockade-csrf\0${token}`, 'base64url');
}

const derived = new WeakMap<object, { readonly token: string; readonly csrf: string }>();

/**
 * csrfTokenFor(token), derived once per validated session object rather than on every request: the local
 * cache hands the same object to every request of a session ("who am I" returns the CSRF token on every
 * page load, and its hash was a tenth of the session layer's cost in the profile). Remembered with the
 * token it was derived from and used only for that same token, so a session object seen with another
 * token (a rotation, a test reusing objects) can never be answered with the wrong session's CSRF token.
 */
export function csrfTokenOf(session: object, token: string): string {
  const known = derived.get(session);
  if (known !== undefined && known.token === token) return known.csrf;
  const csrf = csrfTokenFor(token);
  derived.set(session, { token, csrf });
  return csrf;
}

/** Whether `presented` is the session's CSRF token; with `session`, its derivation is remembered (csrfTokenOf). */
export function csrfTokenMatches(token: string, presented: string | undefined, session?: object): boolean {
  if (presented?.length !== 43) return false;
  const expected = Buffer.from(session ? csrfTokenOf(session, token) : csrfTokenFor(token));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
