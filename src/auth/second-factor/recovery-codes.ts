import { createHash, randomBytes } from 'node:crypto';

/**
 * Recovery codes (S-79): 10 per user, each 80 random bits written as 16 base32 characters in four groups
 * (`abcd-efgh-ijkm-npqr`, Crockford's alphabet: no I, L, O, U to misread). Only SHA-256 of each is stored.
 * A fast hash is right here, unlike for passwords: a password is chosen by a person and falls to a
 * dictionary, so it needs a slow, salted hash; a recovery code is 80 bits from the random source, so
 * no dictionary holds it and 2^80 SHA-256 guesses per code are out of reach with or without salt —
 * a slow hash would only make each use (and each guess we count on the throttle) cost us CPU.
 */

export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const CODE_CHARS = 16;

export function newRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => {
    const bytes = randomBytes(10);
    let bits = 0n;
    for (const b of bytes) bits = (bits << 8n) | BigInt(b);
    let out = '';
    for (let i = 0; i < CODE_CHARS; i++) out = ALPHABET[Number((bits >> BigInt(5 * i)) & 31n)] + out;
    return out.match(/.{4}/g)!.join('-');
  });
}

/**
 * What people type back, in the one form that is hashed: lower case, dashes and spaces dropped, and the
 * letters Crockford maps (I and L to 1, O to 0). Null when it cannot be one of our codes.
 */
export function normaliseRecoveryCode(input: string): string | null {
  const s = input.toLowerCase().replace(/[\s-]/g, '').replace(/[il]/g, '1').replace(/o/g, '0');
  return s.length === CODE_CHARS && [...s].every((c) => ALPHABET.includes(c)) ? s : null;
}

export function hashRecoveryCode(normalised: string): Buffer {
  return createHash('sha256').update(`stockade-recovery\0${normalised}`).digest();
}
