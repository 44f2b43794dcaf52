/**
 * What a new password must satisfy (docs/api.md register/password change; docs/security.md S-34, S-36, S-37).
 *
 * Rules, all on the NFKC form that passwords.ts hashes:
 * - 8..256 characters, counted as Unicode code points (so "😀" is one, "é" is one either way it is typed).
 *   `minLength` can raise the minimum: S-34 asks for 15 in an app without a second factor.
 * - not one of the common passwords in common-passwords.txt (case-insensitive);
 * - not containing the username (case-insensitive);
 * - not made only of predictable words (the app's own words such as "stockade" and "inventory", the
 *   username, filler like "password" or "admin", also in leetspeak), digits and punctuation:
 *   "inventoryinventory", "Stockade-password-2026", "st0ck@de!!" are refused (ASVS V6.2.11);
 * - no NUL (U+0000): some C libraries end the string there, so the password would be cut short;
 * - no lone UTF-16 surrogate: it is not a character, and would be hashed as U+FFFD.
 * Everything else is allowed: spaces, any script, emoji. No composition rules (S-36).
 */
import { readFileSync } from 'node:fs';
import type { FieldError } from '../errors.js';
import { normalizePassword } from './passwords.js';

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;

/** The product's own words: the first things a targeted guesser tries. */
const CONTEXT_WORDS = ['stockade', 'inventory', 'inventories', 'stock', 'merchant', 'shop', 'store'];
/** Words that add no secret when glued to the above ("stockadepassword2026"). Lower-case ASCII. */
const FILLER_WORDS = [
  'password',
  'passwort',
  'passwd',
  'pass',
  'pwd',
  'admin',
  'administrator',
  'root',
  'login',
  'signin',
  'welcome',
  'secret',
  'letmein',
  'qwerty',
  'user',
  'test',
  'default',
  'changeme',
  'my',
  'the',
  'new',
  'app',
  'account',
  'abc',
];

/**
 * Characters a leetspeak writer puts in place of a letter. A password character matches a word's letter
 * when it is the letter itself or one of these.
 */
const LEET: Readonly<Record<string, string>> = {
  a: '@4',
  b: '8',
  e: '3',
  g: '9',
  i: '1!|',
  l: '1|',
  o: '0',
  s: '$5',
  t: '7+',
  z: '2',
};

export interface NewPasswordContext {
  username: string;
  /** Where errors point; "password" unless the form calls it something else ("newPassword"). */
  path?: string;
  /** Defaults to PASSWORD_MIN_LENGTH (8, docs/api.md); S-34 argues for 15. Never below 8. */
  minLength?: number;
  /** More predictable words, e.g. the merchant's shop name. */
  contextWords?: readonly string[];
}

/**
 * Why `pw` is refused as a new password: [] when it is fine, else one error (the first rule it breaks,
 * in the order of the module comment) whose message is a sentence for the user.
 */
export function checkNewPassword(pw: string, context: NewPasswordContext): FieldError[] {
  const path = context.path ?? 'password';
  const minLength = Math.max(PASSWORD_MIN_LENGTH, context.minLength ?? PASSWORD_MIN_LENGTH);
  const error = (message: string): FieldError[] => [{ path, message }];

  if (pw.includes('\u0000')) return error('Your password can’t contain the NUL character (U+0000).');
  // A lone UTF-16 surrogate is no character at all: it reaches the hash as U+FFFD, so "\uD800…" and
  // "\uDFFF…" would be one and the same password (found by the fault suite's input fuzz).
  if (/\p{Cs}/u.test(pw)) return error('Your password contains an invalid character (a lone UTF-16 surrogate).');
  // NFKC can shrink a string, but never by more than 8× its UTF-16 length (surrogate pairs, then at most
  // four code points composing into one), so a longer input is too long without the cost of normalising.
  if (pw.length > PASSWORD_MAX_LENGTH * 8) return error(tooLong());

  const normalized = normalizePassword(pw);
  const length = [...normalized].length;
  if (length < minLength) return error(`Your password must be at least ${minLength} characters long.`);
  if (length > PASSWORD_MAX_LENGTH) return error(tooLong());

  const lower = normalized.toLowerCase();
  const username = normalizePassword(context.username).toLowerCase();
  // One reason is enough: a password on the common list is usually also "only predictable words".
  if (commonPasswords().has(lower)) {
    return error(
      'This password is on a list of commonly used passwords, so it is among the first an attacker would try. Please choose another.',
    );
  }
  // Usernames are at least 3 characters (docs/api.md); a shorter one would forbid half the dictionary.
  if (username.length >= 3 && lower.includes(username)) {
    return error('Your password can’t contain your username.');
  }
  if (isOnlyPredictableWords(lower, [...CONTEXT_WORDS, ...FILLER_WORDS, ...wordsOf(context, username)])) {
    return error(
      'Your password is made only of easily guessed words like “stockade”, “inventory”, “password” or your username, plus digits or symbols. Please choose something less predictable.',
    );
  }
  return [];
}

function tooLong(): string {
  return `Your password can be at most ${PASSWORD_MAX_LENGTH} characters long.`;
}

function wordsOf(context: NewPasswordContext, username: string): string[] {
  const extra = (context.contextWords ?? []).map((w) => normalizePassword(w).toLowerCase());
  // The username's letters alone ("bob" in "bob.smith") are words too, when long enough to mean something.
  const parts = username.split(/[^\p{L}\p{N}]+/u).filter((p) => p.length >= 3);
  return [...extra, ...parts].filter((w) => w.length > 0);
}

/**
 * True when `lower` can be cut into pieces that are each either a word of `words` (letters may be
 * written in leetspeak) or a single character that is not a letter, and at least one piece is a word.
 * Any other letter (a Cyrillic word, a real passphrase) makes it false.
 * Dynamic programming over positions; at most 256 code points × a few dozen words, so it is cheap.
 */
function isOnlyPredictableWords(lower: string, words: readonly string[]): boolean {
  const chars = [...lower];
  const n = chars.length;
  // reach[i]: 0 = position i unreachable, 1 = reachable using separators only, 2 = reachable with a word.
  const reach = new Uint8Array(n + 1);
  reach[0] = 1;
  for (let i = 0; i < n; i++) {
    const here = reach[i] ?? 0;
    if (here === 0) continue;
    if (!/[\p{L}\p{M}]/u.test(chars[i] ?? '')) reach[i + 1] = Math.max(reach[i + 1] ?? 0, here);
    for (const word of words) {
      const wordChars = [...word];
      if (i + wordChars.length <= n && wordChars.every((w, k) => matchesLetter(chars[i + k] ?? '', w))) {
        reach[i + wordChars.length] = 2;
      }
    }
  }
  return reach[n] === 2;
}

function matchesLetter(typed: string, letter: string): boolean {
  return typed === letter || (LEET[letter]?.includes(typed) ?? false);
}

let common: ReadonlySet<string> | undefined;

/**
 * The blocklist, read once on first use (a synchronous read of ~170 KB, a few milliseconds). The file is
 * shipped next to this module; a missing file throws, because silently allowing every password is worse.
 */
export function commonPasswords(): ReadonlySet<string> {
  if (!common) {
    const text = readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8');
    common = new Set(text.split('\n').filter((line) => line.length > 0 && !line.startsWith('#')));
  }
  return common;
}
