import { AppError } from '../errors.js';

/**
 * An e-mail address as users type it, and its comparison key. Deliberately simple: one `@`, a local
 * part and a domain with a dot, no spaces or control characters, at most 254 characters (RFC 5321's
 * path limit). Whether the address works is proven by the verification link, not by parsing.
 */
const SHAPE = /^[^\s@"<>()[\],;:\\\p{Cc}\p{Cs}]{1,64}@[^\s@"<>()[\],;:\\\p{Cc}\p{Cs}]+\.[^\s@"<>()[\],;:\\\p{Cc}\p{Cs}]+$/u;

export function parseEmail(raw: string): { email: string; key: string } {
  const email = raw.normalize('NFKC').trim();
  if (email.length > 254 || !SHAPE.test(email)) {
    throw new AppError('validation', 'Enter an e-mail address like name@example.com.', {
      errors: [{ path: 'email', message: 'Enter an e-mail address like name@example.com.' }],
    });
  }
  return { email, key: emailKey(email) };
}

/** Case-insensitive comparison form (the domain is case-insensitive; in practice so is every mailbox). */
export function emailKey(email: string): string {
  return email.normalize('NFKC').trim().toLowerCase();
}

/** Whether a sign-in string is meant as an address (usernames may not contain `@`: usernames.ts). */
export const looksLikeEmail = (login: string) => login.includes('@');
