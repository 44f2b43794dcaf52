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

export function csrfTokenMatches(token: string, presented: string | undefined): boolean {
  if (presented?.length !== 43) return false;
  const expected = Buffer.from(csrfTokenFor(token));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
