import type { Db } from '../db/db.js';
import type { MailQueue } from '../mail/queue.js';
import { passwordResetMail } from '../mail/templates.js';
import { emailKey, looksLikeEmail } from './email-address.js';
import { type PasswordResets, resetLink } from './password-resets.js';
import { tooManyAttempts, type LoginThrottle } from './throttle.js';
import { usernameKey } from './usernames.js';

/**
 * "Forgot password?" (POST /api/auth/password-reset {login}): a reset link mailed to the account's
 * verified address. The answer is the same 202 `{}`, in about the same time, whether or not the login
 * names an account, has a verified address, or is disabled (S-82).
 *
 * How it can fail, and why it is written so:
 * - Enumeration by answer: there is one answer. By time: every request runs the same transaction shape
 *   (one lookup; an issue and an enqueue only for a real account — a few milliseconds of local writes,
 *   the mail itself is sent later by the worker), and the answer is held back to a floor
 *   (RESPONSE_FLOOR_MS) far above that work, so both paths answer at the floor.
 * - Enumeration by throttle: the counters are per client address group and per normalised login
 *   string, counted for every request whether or not the login exists, so a 429 says only "you asked
 *   too often", never "this account exists".
 * - Mail bombing a user: at most LOGIN_MAX per login per window, whoever asks.
 * - A link only ever goes to a *verified* address: an unverified one may be someone else's.
 * - Each request voids the older link (newer voids older: password-resets.ts), and the link is built from
 *   PUBLIC_URL, never from Host / X-Forwarded-Host.
 */

/** Every answer waits at least this long (ms) from the request's start. */
export const RESPONSE_FLOOR_MS = 300;
/** Requests for one login (normalised) before it waits WINDOW_SECONDS: a mailbox is not flooded. */
export const LOGIN_MAX = 3;
export const WINDOW_SECONDS = 900;

export interface ResetRequestDeps {
  readonly db: Db;
  readonly queue: MailQueue;
  readonly passwordResets: PasswordResets;
  readonly throttle: LoginThrottle;
  readonly publicUrl: string;
  readonly ttlSeconds: number;
  /** Requests from one address group per hour (PASSWORD_RESET_ADDRESS_MAX). */
  readonly addressMax: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The normalised login a throttle counts: the username key, or the address key. */
export function normalisedLogin(login: string): string {
  return looksLikeEmail(login) ? `email:${emailKey(login)}` : `username:${usernameKey(login.trim())}`;
}

/**
 * Handles one request. Resolves with the user id when a link was queued (for the audit), null
 * otherwise — the caller answers the same either way. Throws the one 429.
 */
export async function requestPasswordReset(deps: ResetRequestDeps, login: string, ip: string | undefined): Promise<string | null> {
  const started = Date.now();
  try {
    const key = normalisedLogin(login);
    // Both counters are counted on every request (no short-circuit: the second key is counted even when the first is closed).
    const [addressClosed, loginClosed] = await Promise.all([
      deps.throttle.addressKeys('reset', ip).then((keys) => deps.throttle.quota(keys, deps.addressMax, 3600)),
      deps.throttle.pseudonymKeys('reset:login:', 'reset-login', key).then((keys) => deps.throttle.quota(keys, LOGIN_MAX, WINDOW_SECONDS)),
    ]);
    const closed = [addressClosed, loginClosed].filter((d): d is Date => d !== null).sort((a, b) => b.getTime() - a.getTime())[0];
    if (closed) throw tooManyAttempts(closed, deps.throttle.now());
    return await deps.db.transaction(async (tx) => {
      const found = await tx.query<{ id: string; username: string; email: string | null }>(
        looksLikeEmail(login)
          ? 'SELECT id, username, email FROM users WHERE email_key = $1 AND NOT disabled FOR UPDATE'
          : 'SELECT id, username, email FROM users WHERE username_key = $1 AND NOT disabled FOR UPDATE',
        [looksLikeEmail(login) ? emailKey(login) : usernameKey(login.trim())],
      );
      const user = found.rows[0];
      if (!user?.email) return null;
      const issued = await deps.passwordResets.issueIn(tx, { id: user.id }, { issuedBy: 'mail' });
      if (!issued) return null;
      const ttl = `${Math.round(deps.ttlSeconds / 60)} minutes`;
      await deps.queue.enqueue(passwordResetMail(user.email, user.username, resetLink(deps.publicUrl, issued.token), ttl), user.id, tx);
      return user.id;
    });
  } finally {
    // Every answer, 202 or 429 or a failure, at the floor: the time says nothing about the account.
    const wait = RESPONSE_FLOOR_MS - (Date.now() - started);
    if (wait > 0) await sleep(wait);
  }
}
