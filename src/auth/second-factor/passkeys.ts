import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type { Db } from '../../db/db.js';
import { AppError } from '../../errors.js';
import { PASSKEYS_NEED_A_HOST_NAME, type RelyingParty } from './relying-party.js';
import { isPasskeyId, issueCodesIfFirst, lockUser } from './second-factors.js';
import { CHALLENGE_TTL_SECONDS, type ChallengeHolder, WebAuthnChallenges } from './webauthn-challenges.js';

/**
 * A user's passkeys (docs/api.md "Second factor", docs/security.md S-80): registration, the list,
 * renaming, removal, and checking an assertion for a ceremony.
 *
 * How it can fail, and why it is written so:
 * - Replay / double use: the challenge is used up (webauthn-challenges.ts) before the assertion is
 *   checked; the authenticator signed over it, so an old assertion names a used challenge.
 * - Another user's credential: an assertion names its credential id, which is unique across users; at
 *   a second step, step-up or reset the credential must be the user's own (`expectUserId`), and a
 *   passwordless assertion's user handle, when the authenticator sends one, must be its owner's.
 * - A cloned authenticator: the sign counter only moves forward. The library is given counter 0 (so it
 *   never throws on it) and the rule is applied here, once, in the UPDATE that records the use
 *   (`WHERE counter < $new`), so two racing assertions with one counter value cannot both pass. A
 *   regression is refused with its own outcome, for the audit (passkey.counter_regression).
 * - Anything malformed (bad base64, bad CBOR, a wrong origin or RP ID, no user verification where it is
 *   required): the library throws; every throw is one refusal, never a 500.
 */

/** Passkeys one user may hold (each is a row and a public key; a bound keeps a stolen session from piling them up). */
export const MAX_PASSKEYS_PER_USER = 20;
export const DEFAULT_PASSKEY_NAME = 'Passkey';

export interface PasskeyView {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export type AssertionOutcome =
  | { ok: true; userId: string; passkeyId: string }
  | { ok: false; reason: 'challenge' | 'unknown_credential' | 'other_user' | 'invalid' }
  | { ok: false; reason: 'counter_regression'; userId: string; passkeyId: string };

interface PasskeyRow {
  id: string;
  user_id: string;
  credential_id: Uint8Array;
  public_key: Uint8Array;
  counter: string;
  transports: string[];
  name: string;
  created_at: Date;
  last_used_at: Date | null;
}

const viewOf = (row: Pick<PasskeyRow, 'id' | 'name' | 'created_at' | 'last_used_at'>): PasskeyView => ({
  id: row.id,
  name: row.name,
  createdAt: row.created_at.toISOString(),
  lastUsedAt: row.last_used_at ? row.last_used_at.toISOString() : null,
});

/**
 * A passkey's name as it is stored: trimmed, the default when empty; control characters (NUL among
 * them, which PostgreSQL's text refuses) are a 400 on `name`.
 */
export function passkeyName(name: string | undefined): string {
  const trimmed = name?.trim() ?? '';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses.
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) {
    const message = 'A passkey name cannot hold control characters.';
    throw new AppError('validation', message, { errors: [{ path: 'name', message }] });
  }
  return trimmed || DEFAULT_PASSKEY_NAME;
}

/** The user handle an authenticator keeps for a discoverable credential: the user id's 16 bytes (no name, no address). */
export const userHandleOf = (userId: string) => new Uint8Array(Buffer.from(userId.replace(/-/g, ''), 'hex'));

/** The challenge an authenticator signed over, from clientDataJSON (undefined when it is not readable). */
export function challengeOf(clientDataJSON: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'));
    const challenge = (parsed as { challenge?: unknown } | null)?.challenge;
    return typeof challenge === 'string' && challenge.length > 0 && challenge.length <= 256 ? challenge : undefined;
  } catch {
    return undefined;
  }
}

export class Passkeys {
  readonly challenges: WebAuthnChallenges;

  constructor(
    private readonly db: Db,
    private readonly rp: RelyingParty,
    private readonly now: () => number = Date.now,
  ) {
    this.challenges = new WebAuthnChallenges(db, now);
  }

  get usable(): boolean {
    return this.rp.usable;
  }

  async list(userId: string): Promise<PasskeyView[]> {
    const res = await this.db.query<PasskeyRow>(
      'SELECT id, name, created_at, last_used_at FROM passkeys WHERE user_id = $1 ORDER BY created_at, id',
      [userId],
    );
    return res.rows.map(viewOf);
  }

  /** Creation options for a new passkey of this user, the challenge bound to `sessionId`. */
  async registrationOptions(user: { id: string; username: string }, sessionId: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
    this.assertUsable();
    const existing = await this.credentialsOf(user.id);
    if (existing.length >= MAX_PASSKEYS_PER_USER) {
      throw new AppError('conflict', `You have ${MAX_PASSKEYS_PER_USER} passkeys, the most one account may hold: delete one first.`);
    }
    const challenge = await this.challenges.issue({ ceremony: 'register', binding: sessionId }, user.id);
    return generateRegistrationOptions({
      rpName: this.rp.name,
      rpID: this.rp.rpId,
      userName: user.username,
      userID: userHandleOf(user.id),
      challenge,
      timeout: CHALLENGE_TTL_SECONDS * 1000,
      attestationType: 'none',
      // The same authenticator twice would be one factor counted as two.
      excludeCredentials: existing.map((c) => ({ id: c.id, transports: c.transports })),
      // Discoverable, so it can sign in without a username; user verification wanted (passwordless needs it).
      authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'preferred' },
    });
  }

  /**
   * Verifies a registration response against a challenge issued to this session, and stores the
   * passkey. The recovery codes when it is the user's first second factor, else null. 400 on
   * `response` when it does not verify; 409 when the credential is already registered (to anyone).
   */
  async register(
    userId: string,
    sessionId: string,
    response: RegistrationResponseJSON,
    name: string | undefined,
  ): Promise<{ passkey: PasskeyView; recoveryCodes: string[] | null }> {
    this.assertUsable();
    const label = passkeyName(name);
    const refused = () => {
      const message = 'The passkey could not be verified. Try again.';
      return new AppError('validation', message, { errors: [{ path: 'response', message }] });
    };
    const challenge = challengeOf(response.response.clientDataJSON);
    const issued = challenge ? await this.challenges.consume(challenge, { ceremony: 'register', binding: sessionId }) : undefined;
    if (!challenge || !issued || issued.userId !== userId) throw refused();
    let info: Awaited<ReturnType<typeof verifyRegistrationResponse>>['registrationInfo'];
    try {
      const verified = await verifyRegistrationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: this.rp.origin,
        expectedRPID: this.rp.rpId,
        requireUserVerification: false,
      });
      info = verified.verified ? verified.registrationInfo : undefined;
    } catch {
      info = undefined;
    }
    if (!info) throw refused();
    const credential = info.credential;
    return this.db.transaction(async (tx) => {
      await lockUser(tx, userId);
      const held = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM passkeys WHERE user_id = $1', [userId]);
      if (Number(held.rows[0]?.n ?? 0) >= MAX_PASSKEYS_PER_USER) {
        throw new AppError('conflict', `You have ${MAX_PASSKEYS_PER_USER} passkeys, the most one account may hold: delete one first.`);
      }
      const inserted = await tx.query<PasskeyRow>(
        `INSERT INTO passkeys (user_id, credential_id, public_key, counter, transports, name, backed_up, device_type, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (credential_id) DO NOTHING
         RETURNING id, name, created_at, last_used_at`,
        [
          userId,
          Buffer.from(credential.id, 'base64url'),
          Buffer.from(credential.publicKey),
          credential.counter,
          credential.transports ?? [],
          label,
          info.credentialBackedUp,
          info.credentialDeviceType,
          new Date(this.now()),
        ],
      );
      const row = inserted.rows[0];
      if (!row) throw new AppError('conflict', 'This passkey is already registered.');
      return { passkey: viewOf(row), recoveryCodes: await issueCodesIfFirst(tx, userId) };
    });
  }

  /** The owner of the credential an assertion names (for the throttle's keys), or null. */
  async ownerOf(credentialId: string): Promise<{ id: string; username: string } | null> {
    const res = await this.db.query<{ id: string; username: string }>(
      'SELECT u.id, u.username FROM passkeys p JOIN users u ON u.id = p.user_id WHERE p.credential_id = $1',
      [Buffer.from(credentialId, 'base64url')],
    );
    return res.rows[0] ?? null;
  }

  async rename(userId: string, id: string, name: string): Promise<PasskeyView | null> {
    const label = passkeyName(name);
    if (!isPasskeyId(id)) return null;
    const res = await this.db.query<PasskeyRow>(
      'UPDATE passkeys SET name = $3 WHERE id = $1 AND user_id = $2 RETURNING id, name, created_at, last_used_at',
      [id, userId, label],
    );
    const row = res.rows[0];
    return row ? viewOf(row) : null;
  }

  /**
   * Request options for `holder`'s ceremony: with `userId`, that user's passkeys are the allowed ones
   * (second step, step-up, reset); without, any discoverable credential (passwordless).
   */
  async requestOptions(holder: ChallengeHolder, userId: string | null): Promise<PublicKeyCredentialRequestOptionsJSON> {
    this.assertUsable();
    const allowed = userId ? await this.credentialsOf(userId) : [];
    const challenge = await this.challenges.issue(holder, userId);
    return generateAuthenticationOptions({
      rpID: this.rp.rpId,
      challenge,
      timeout: CHALLENGE_TTL_SECONDS * 1000,
      userVerification: holder.ceremony === 'passwordless' || holder.ceremony === 'step_up' ? 'required' : 'preferred',
      ...(userId ? { allowCredentials: allowed.map((c) => ({ id: c.id, transports: c.transports })) } : {}),
    });
  }

  /**
   * Checks an assertion for `holder`'s ceremony, using up its challenge, and records the use. With
   * `expectUserId`, the credential must be that user's. `requireUserVerification` where the passkey
   * stands for both factors (passwordless, step-up without a password).
   */
  async verifyAssertion(
    holder: ChallengeHolder,
    response: AuthenticationResponseJSON,
    opts: { expectUserId?: string; requireUserVerification: boolean },
  ): Promise<AssertionOutcome> {
    if (!this.rp.usable) return { ok: false, reason: 'invalid' };
    const challenge = challengeOf(response.response.clientDataJSON);
    const issued = challenge ? await this.challenges.consume(challenge, holder) : undefined;
    if (!challenge || !issued) return { ok: false, reason: 'challenge' };
    if (opts.expectUserId !== undefined && issued.userId !== opts.expectUserId) return { ok: false, reason: 'challenge' };
    const res = await this.db.query<PasskeyRow>(
      'SELECT id, user_id, credential_id, public_key, counter, transports FROM passkeys WHERE credential_id = $1',
      [Buffer.from(response.id, 'base64url')],
    );
    const row = res.rows[0];
    if (!row) return { ok: false, reason: 'unknown_credential' };
    if (opts.expectUserId !== undefined && row.user_id !== opts.expectUserId) return { ok: false, reason: 'other_user' };
    const handle = response.response.userHandle;
    if (handle !== undefined && handle !== '' && handle !== Buffer.from(userHandleOf(row.user_id)).toString('base64url')) {
      return { ok: false, reason: 'other_user' };
    }
    let info: Awaited<ReturnType<typeof verifyAuthenticationResponse>>['authenticationInfo'] | undefined;
    try {
      const verified = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: this.rp.origin,
        expectedRPID: this.rp.rpId,
        // Counter 0: the library never judges the counter; the rule is applied below, atomically.
        credential: { id: Buffer.from(row.credential_id).toString('base64url'), publicKey: new Uint8Array(row.public_key), counter: 0 },
        requireUserVerification: opts.requireUserVerification,
      });
      info = verified.verified ? verified.authenticationInfo : undefined;
    } catch {
      info = undefined;
    }
    if (!info) return { ok: false, reason: 'invalid' };
    const counter = info.newCounter;
    const moved = await this.db.query(
      `UPDATE passkeys SET counter = $2, last_used_at = $3, backed_up = $4
        WHERE id = $1 AND (counter < $2 OR ($2 = 0 AND counter = 0))`,
      [row.id, counter, new Date(this.now()), info.credentialBackedUp],
    );
    if (moved.rowCount !== 1) return { ok: false, reason: 'counter_regression', userId: row.user_id, passkeyId: row.id };
    return { ok: true, userId: row.user_id, passkeyId: row.id };
  }

  private async credentialsOf(userId: string): Promise<{ id: string; transports: AuthenticatorTransport[] }[]> {
    const res = await this.db.query<PasskeyRow>('SELECT credential_id, transports FROM passkeys WHERE user_id = $1', [userId]);
    return res.rows.map((r) => ({
      id: Buffer.from(r.credential_id).toString('base64url'),
      transports: r.transports as AuthenticatorTransport[],
    }));
  }

  private assertUsable(): void {
    if (!this.rp.usable) throw new AppError('conflict', PASSKEYS_NEED_A_HOST_NAME);
  }
}

/** The transports an authenticator reports (stored as text; the library's type). */
type AuthenticatorTransport = NonNullable<RegistrationResponseJSON['response']['transports']>[number];
