import type { SecondFactor } from '../second-factor.js';
import QRCode from 'qrcode';
import type { Db, Queryable } from '../../db/db.js';
import { AppError } from '../../errors.js';
import { type SecretBox, SealError } from './secret-box.js';
import { hashRecoveryCode, newRecoveryCodes, normaliseRecoveryCode } from './recovery-codes.js';
import { base32, matchingStep, newTotpSecret, otpauthUri } from './totp.js';

/**
 * A user's second factors (docs/api.md "Second factor", S-79): the TOTP authenticator and the recovery
 * codes; passkeys (passkeys.ts) join through `confirmedFactorCount` and `SignInMethod`: the rule "recovery
 * codes come with the user's first second factor of any kind" is written once, in `issueCodesIfFirst`.
 *
 * How it can fail, and why it is written so:
 * - Replay: a TOTP code is accepted by `UPDATE … SET last_step = $step WHERE last_step < $step`, one
 *   statement, so the same code checked at once by two servers (or two requests) is accepted by exactly
 *   one; a code for an older step than the last accepted one is refused too.
 * - Recovery codes are used by `DELETE … RETURNING`: two racing uses of one code, one wins.
 * - Secrets are sealed under the key outside the database, bound to the user id (secret-box.ts); one
 *   sealed under the previous key is re-sealed under the current key when used (conditional on the
 *   stored seal being unchanged, so a concurrent disable or re-enrolment is not overwritten).
 * - Enrolment, confirmation and the recovery codes of one user are serialised on the user row
 *   (`FOR UPDATE`), so two confirmations racing cannot both count as "the first factor".
 */

/** How a pending sign-in can be finished (the `methods` of the login answer). */
export type SignInMethod = 'totp' | 'passkey' | 'recoveryCode';

export interface SecondFactorStatus {
  totp: { enabled: boolean; enabledAt: string | null };
  recoveryCodes: { remaining: number };
}

export interface TotpEnrolment {
  /** The key in base32, for manual entry. */
  secret: string;
  otpauthUri: string;
  /** The QR code as an SVG document (inlined by the web app: no image URL, so the strict CSP holds). */
  qrSvg: string;
}

const aadOf = (userId: string) => `stockade-totp\0${userId}`;

/** Whether the user has a confirmed second factor of any kind (the shops' `requireMfa` asks this). */
export async function hasSecondFactor(db: Queryable, userId: string): Promise<boolean> {
  return (await confirmedFactorCount(db, userId)) > 0;
}

/** Confirmed second factors of every kind: a confirmed TOTP key, and each passkey. */
async function confirmedFactorCount(db: Queryable, userId: string): Promise<number> {
  const res = await db.query<{ n: number }>(
    `SELECT (SELECT count(*)::int FROM totp_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL)
          + (SELECT count(*)::int FROM passkeys WHERE user_id = $1) AS n`,
    [userId],
  );
  return Number(res.rows[0]?.n ?? 0);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A passkey's id as the table holds it (anything else names no passkey: answered 404, never a database error). */
export const isPasskeyId = (id: string) => UUID.test(id);

/** Serialises changes to one user's factors (enrolment, removal, the "first factor" rule). */
export async function lockUser(tx: Queryable, userId: string): Promise<void> {
  await tx.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [userId]);
}

export class SecondFactors {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    private readonly now: () => number = Date.now,
  ) {}

  async status(userId: string): Promise<SecondFactorStatus> {
    const res = await this.db.query<{ confirmed_at: Date | null; remaining: number }>(
      `SELECT (SELECT confirmed_at FROM totp_factors WHERE user_id = $1) AS confirmed_at,
              (SELECT count(*)::int FROM recovery_codes WHERE user_id = $1) AS remaining`,
      [userId],
    );
    const row = res.rows[0];
    const at = row?.confirmed_at ?? null;
    return {
      totp: { enabled: at !== null, enabledAt: at ? at.toISOString() : null },
      recoveryCodes: { remaining: Number(row?.remaining ?? 0) },
    };
  }

  /** How a sign-in of this user can be finished; empty when they have no second factor. */
  async methods(userId: string): Promise<SignInMethod[]> {
    const res = await this.db.query<{ totp: boolean; passkey: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM totp_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL) AS totp,
              EXISTS (SELECT 1 FROM passkeys WHERE user_id = $1) AS passkey`,
      [userId],
    );
    const row = res.rows[0];
    const methods: SignInMethod[] = [];
    if (row?.totp) methods.push('totp');
    if (row?.passkey) methods.push('passkey');
    return methods.length > 0 ? [...methods, 'recoveryCode'] : [];
  }

  /** A new, unconfirmed secret (replacing an unconfirmed one); 409 when TOTP is already on. */
  async beginTotp(userId: string, username: string): Promise<TotpEnrolment> {
    const secret = newTotpSecret();
    const sealed = this.box.seal(secret, aadOf(userId));
    const stored = await this.db.query(
      `INSERT INTO totp_factors (user_id, secret) VALUES ($1, $2)
       ON CONFLICT (user_id) DO UPDATE SET secret = EXCLUDED.secret, created_at = now(), last_step = -1
         WHERE totp_factors.confirmed_at IS NULL`,
      [userId, sealed],
    );
    if (stored.rowCount === 0) throw new AppError('conflict', 'Two-factor sign-in is already on; turn it off first to enrol again.');
    const uri = otpauthUri(secret, username);
    return { secret: base32(secret), otpauthUri: uri, qrSvg: await QRCode.toString(uri, { type: 'svg', margin: 2 }) };
  }

  /**
   * Confirms enrolment with a code from the app (that code's step counts as used). The new recovery
   * codes when this is the user's first second factor, else null. A wrong code: 400 on `code`.
   */
  async confirmTotp(userId: string, code: string): Promise<{ recoveryCodes: string[] | null }> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [userId]);
      const res = await tx.query<{ secret: Buffer; last_step: string }>(
        'SELECT secret, last_step FROM totp_factors WHERE user_id = $1 AND confirmed_at IS NULL',
        [userId],
      );
      const row = res.rows[0];
      if (!row) throw new AppError('conflict', 'There is no enrolment to confirm: start one first.');
      const secret = this.openSecret(userId, row.secret);
      const step = secret ? matchingStep(secret, code, this.now()) : null;
      if (step === null || step <= Number(row.last_step)) throw wrongCode();
      // Only the key this code was checked against: a new enrolment started meanwhile (another tab)
      // replaced it, and confirming that one with this code would turn on a key the app never showed.
      const confirmed = await tx.query(
        'UPDATE totp_factors SET confirmed_at = now(), last_step = $2 WHERE user_id = $1 AND confirmed_at IS NULL AND secret = $3',
        [userId, step, row.secret],
      );
      if (confirmed.rowCount !== 1) throw new AppError('conflict', 'The enrolment changed meanwhile: start again.');
      return { recoveryCodes: await issueCodesIfFirst(tx, userId) };
    });
  }

  /** Turns TOTP off; with no second factor left, the recovery codes go too. False when it was not on. */
  async disableTotp(userId: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [userId]);
      const gone = await tx.query('DELETE FROM totp_factors WHERE user_id = $1 RETURNING confirmed_at', [userId]);
      if ((await confirmedFactorCount(tx, userId)) === 0) await tx.query('DELETE FROM recovery_codes WHERE user_id = $1', [userId]);
      return gone.rowCount > 0;
    });
  }

  /**
   * Removes one of the user's passkeys; with no second factor left, the recovery codes go too.
   * `removed` false when it is not theirs; `last` when it was their last second factor.
   */
  async removePasskey(userId: string, passkeyId: string): Promise<{ removed: boolean; last: boolean }> {
    if (!isPasskeyId(passkeyId)) return { removed: false, last: false };
    return this.db.transaction(async (tx) => {
      await lockUser(tx, userId);
      const gone = await tx.query('DELETE FROM passkeys WHERE id = $1 AND user_id = $2', [passkeyId, userId]);
      if (gone.rowCount === 0) return { removed: false, last: false };
      const last = (await confirmedFactorCount(tx, userId)) === 0;
      if (last) await tx.query('DELETE FROM recovery_codes WHERE user_id = $1', [userId]);
      return { removed: true, last };
    });
  }

  /** Ten new recovery codes; the old ones die. 409 without a second factor (codes recover a factor). */
  async regenerateRecoveryCodes(userId: string): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [userId]);
      if ((await confirmedFactorCount(tx, userId)) === 0) {
        throw new AppError('conflict', 'Recovery codes come with a second factor: enrol one first.');
      }
      return replaceCodes(tx, userId);
    });
  }

  /**
   * A TOTP code at sign-in or step-up: true when it matches a step after the last one accepted, and
   * this call is the one that moved the user's last step there (each code once, across servers).
   */
  /**
   * The second factor as a password reset checks it (auth/second-factor.ts): whether any factor is
   * enrolled, and a code or recovery code used up exactly as at sign-in (each once).
   */
  forRecovery(): SecondFactor {
    return {
      enrolled: (userId) => hasSecondFactor(this.db, userId),
      verify: async (userId, proof) => {
        if (proof.code !== undefined) return this.verifyTotp(userId, proof.code);
        if (proof.recoveryCode !== undefined) return (await this.useRecoveryCode(userId, proof.recoveryCode)) !== null;
        return false;
      },
    };
  }

  async verifyTotp(userId: string, code: string): Promise<boolean> {
    const res = await this.db.query<{ secret: Buffer; last_step: string }>(
      'SELECT secret, last_step FROM totp_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL',
      [userId],
    );
    const row = res.rows[0];
    if (!row) return false;
    const secret = this.openSecret(userId, row.secret);
    const step = secret ? matchingStep(secret, code, this.now()) : null;
    if (step === null || step <= Number(row.last_step)) return false;
    const won = await this.db.query(
      'UPDATE totp_factors SET last_step = $2 WHERE user_id = $1 AND confirmed_at IS NOT NULL AND last_step < $2',
      [userId, step],
    );
    return won.rowCount === 1;
  }

  /** A recovery code, used up: how many remain, or null when it is not (or no longer) one of the user's. */
  async useRecoveryCode(userId: string, code: string): Promise<number | null> {
    const normalised = normaliseRecoveryCode(code);
    if (!normalised) return null;
    const res = await this.db.query<{ remaining: number }>(
      `WITH used AS (DELETE FROM recovery_codes WHERE user_id = $1 AND code_hash = $2 RETURNING 1)
       SELECT (SELECT count(*)::int FROM recovery_codes WHERE user_id = $1) - 1 AS remaining FROM used`,
      [userId, hashRecoveryCode(normalised)],
    );
    const row = res.rows[0];
    return row ? Number(row.remaining) : null;
  }

  /** The admin's reset: every factor and code gone. What was removed, for the audit. */
  async removeAll(userId: string): Promise<{ totp: boolean; passkeys: number; recoveryCodes: number }> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [userId]);
      const totp = await tx.query('DELETE FROM totp_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL', [userId]);
      await tx.query('DELETE FROM totp_factors WHERE user_id = $1', [userId]);
      const passkeys = await tx.query('DELETE FROM passkeys WHERE user_id = $1', [userId]);
      const codes = await tx.query('DELETE FROM recovery_codes WHERE user_id = $1', [userId]);
      await tx.query('DELETE FROM pending_sign_ins WHERE user_id = $1', [userId]);
      return { totp: totp.rowCount > 0, passkeys: passkeys.rowCount, recoveryCodes: codes.rowCount };
    });
  }

  /**
   * `stockade reseal-secrets`: every secret not sealed under the current key is re-sealed under it
   * (after a rotation, so SECRET_KEY_PREVIOUS can be dropped). Counts re-sealed and unopenable seals.
   */
  async resealAll(): Promise<{ resealed: number; unopenable: number }> {
    const rows = await this.db.query<{ user_id: string; secret: Buffer }>('SELECT user_id, secret FROM totp_factors');
    let resealed = 0;
    let unopenable = 0;
    for (const row of rows.rows) {
      if (this.box.isCurrent(row.secret)) continue;
      try {
        if (await this.reseal(row.user_id, row.secret)) resealed++;
      } catch (err) {
        if (!(err instanceof SealError)) throw err;
        unopenable++;
      }
    }
    return { resealed, unopenable };
  }

  /**
   * The plain secret, or null when its seal does not open. One sealed under a previous key is re-sealed
   * under the current key in the background (never awaited: the sign-in does not wait on it, and a
   * failed re-seal is simply tried again at the next use or by `stockade reseal-secrets`).
   */
  private openSecret(userId: string, sealed: Buffer): Buffer | null {
    try {
      const opened = this.box.open(sealed, aadOf(userId));
      if (opened.stale) void this.reseal(userId, sealed).catch(() => {});
      return opened.plain;
    } catch (err) {
      if (err instanceof SealError) return null;
      throw err;
    }
  }

  private async reseal(userId: string, sealed: Buffer): Promise<boolean> {
    const { plain } = this.box.open(sealed, aadOf(userId));
    const fresh = this.box.seal(plain, aadOf(userId));
    const res = await this.db.query('UPDATE totp_factors SET secret = $3 WHERE user_id = $1 AND secret = $2', [userId, sealed, fresh]);
    return res.rowCount === 1;
  }
}

/** The one place the "recovery codes with the first second factor of any kind" rule lives (TOTP here, passkeys.ts). */
export async function issueCodesIfFirst(tx: Queryable, userId: string): Promise<string[] | null> {
  if ((await confirmedFactorCount(tx, userId)) !== 1) return null;
  return replaceCodes(tx, userId);
}

async function replaceCodes(tx: Queryable, userId: string): Promise<string[]> {
  const codes = newRecoveryCodes();
  await tx.query('DELETE FROM recovery_codes WHERE user_id = $1', [userId]);
  await tx.query('INSERT INTO recovery_codes (user_id, code_hash) SELECT $1, unnest($2::bytea[])', [
    userId,
    codes.map((c) => hashRecoveryCode(normaliseRecoveryCode(c)!)),
  ]);
  return codes;
}

function wrongCode(): AppError {
  const message = 'That code is not right. Check the time on your phone, and use the newest code.';
  return new AppError('validation', message, { errors: [{ path: 'code', message }] });
}
