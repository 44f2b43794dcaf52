import type { FastifyRequest } from 'fastify';
import type { ChallengeHolder } from '../auth/second-factor/webauthn-challenges.js';
import type { AppDeps } from '../wiring/deps.js';
import { checkPasskey } from './passkey-proof.js';

/**
 * A second-factor proof — a TOTP code, a recovery code or a passkey assertion — checked for a user, at
 * the second step of a sign-in and at step-up alike. Each code works once (second-factors.ts), each
 * passkey challenge once (webauthn-challenges.ts); a recovery code used is audited with how many
 * remain, so the owner (and an admin) can see codes running out or being used by someone else.
 */
export interface SecondFactorProof {
  code?: string | undefined;
  recoveryCode?: string | undefined;
  /** A WebAuthn assertion (schemas/requests/passkeys.ts), for the ceremony `passkeyHolder` names. */
  passkey?: unknown;
}

export type ProofMethod = 'totp' | 'recoveryCode' | 'passkey';

export async function checkSecondFactorProof(
  deps: AppDeps,
  request: FastifyRequest,
  userId: string,
  proof: SecondFactorProof,
  passkeyHolder?: ChallengeHolder,
): Promise<ProofMethod | null> {
  if (proof.code !== undefined) return (await deps.secondFactors.verifyTotp(userId, proof.code)) ? 'totp' : null;
  if (proof.recoveryCode !== undefined) {
    const remaining = await deps.secondFactors.useRecoveryCode(userId, proof.recoveryCode);
    if (remaining === null) return null;
    await deps.audit.event(request, 'mfa.recovery_code_used', { userId, details: { remaining } });
    return 'recoveryCode';
  }
  if (proof.passkey !== undefined && passkeyHolder) {
    // After a password (or with a reset link), presence is enough: the passkey is the second factor here.
    const owner = await checkPasskey(deps, request, passkeyHolder, proof.passkey, { expectUserId: userId, requireUserVerification: false });
    return owner === userId ? 'passkey' : null;
  }
  return null;
}
