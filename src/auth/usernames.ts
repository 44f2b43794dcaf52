import type { FieldError } from '../errors.js';

/*
 * Usernames are compared by key: NFKC then lower-case, so "Alice", "ALICE" and full-width "ａｌｉｃｅ" are
 * one account. Only a-z 0-9 . _ - survive the check, which also rules out look-alike scripts (a Cyrillic
 * "а" cannot sit next to a Latin "a").
 */

const SHAPE = /^[a-z0-9._-]{3,64}$/;

export function usernameKey(username: string): string {
  return username.normalize('NFKC').toLowerCase();
}

/** Null when acceptable; otherwise the field error to return. */
export function checkUsername(username: string): FieldError | null {
  if (SHAPE.test(usernameKey(username))) return null;
  return { path: 'username', message: 'Use 3 to 64 characters: letters, digits, . _ - ; no spaces — try corner-coffee.' };
}
