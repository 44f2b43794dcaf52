import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../../db/db.js';

/**
 * WebAuthn challenges (docs/security.md S-80): 32 random bytes each, issued with the options of one
 * ceremony and usable once, within CHALLENGE_TTL_SECONDS, by that ceremony only.
 *
 * How it can fail, and why it is written so:
 * - Several servers: the challenge lives in PostgreSQL, not in the memory of the server that issued
 *   it, so the answer may reach any server (HAProxy in front of two).
 * - Replay, or two racing uses: it is used by one `DELETE … RETURNING`; of any number of uses exactly
 *   one finds the row, and it is gone before the assertion is even checked, so a failed check burns it too.
 * - Used elsewhere than asked: the row holds the ceremony and a binding to its holder (the session, the
 *   pending sign-in, the reset link), and the DELETE matches on both: a challenge fetched for
 *   passwordless sign-in is no good at a second step or at step-up, nor one of another session.
 * - Only SHA-256 of the challenge is stored (a dump of the table answers no ceremony: the challenge must
 *   come back inside an authenticator's signed clientDataJSON anyway, but nothing needs the plain text).
 * - Flooding (the passwordless options are public): expired rows go as new ones are written, and the
 *   routes bound the rate (mfa.ts, passkeys.ts).
 */

export const CHALLENGE_TTL_SECONDS = 300;
const PURGE_BATCH = 100;

export type Ceremony = 'register' | 'second_step' | 'step_up' | 'passwordless' | 'reset';

export interface ChallengeHolder {
  readonly ceremony: Ceremony;
  /** What it is bound to (the session's public id, the pending or reset token); '' for passwordless. */
  readonly binding: string;
}

const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest();

export class WebAuthnChallenges {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new challenge for `holder` (and `userId` when the ceremony is for a known user): its bytes. */
  async issue(holder: ChallengeHolder, userId: string | null): Promise<Uint8Array<ArrayBuffer>> {
    const bytes = new Uint8Array(randomBytes(32));
    const now = new Date(this.now());
    await this.db.query(
      'DELETE FROM webauthn_challenges WHERE challenge_hash IN (SELECT challenge_hash FROM webauthn_challenges WHERE expires_at <= $1 LIMIT $2)',
      [now, PURGE_BATCH],
    );
    await this.db.query(
      'INSERT INTO webauthn_challenges (challenge_hash, ceremony, binding, user_id, expires_at) VALUES ($1, $2, $3, $4, $5)',
      [
        sha256(Buffer.from(bytes).toString('base64url')),
        holder.ceremony,
        sha256(holder.binding),
        userId,
        new Date(now.getTime() + CHALLENGE_TTL_SECONDS * 1000),
      ],
    );
    return bytes;
  }

  /**
   * Uses up `challenge` (base64url, as it comes back in clientDataJSON) for `holder`: the user it was
   * issued for (null for passwordless), or undefined when it is unknown, used, expired or another
   * ceremony's. True for exactly one of any number of racing calls.
   */
  async consume(challenge: string, holder: ChallengeHolder): Promise<{ userId: string | null } | undefined> {
    const res = await this.db.query<{ user_id: string | null }>(
      `DELETE FROM webauthn_challenges
        WHERE challenge_hash = $1 AND ceremony = $2 AND binding = $3 AND expires_at > $4
        RETURNING user_id`,
      [sha256(challenge), holder.ceremony, sha256(holder.binding), new Date(this.now())],
    );
    const row = res.rows[0];
    return row ? { userId: row.user_id } : undefined;
  }
}
