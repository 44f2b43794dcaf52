import type { FastifyRequest } from 'fastify';
import type { AppDeps } from '../wiring/deps.js';

/**
 * A second-factor proof — a TOTP code or a recovery code — checked for a user, at the second step of a
 * sign-in and at step-up alike. Each code works once (second-factors.ts); a recovery code used is
 * audited with how many remain, so the owner (and an admin) can see codes running out or being used
 * by someone else.
 */
export interface SecondFactorProof {
  code?: string | undefined;
  recoveryCode?: string | undefined;
}

export type ProofMethod = 'totp' | 'recoveryCode';

export async function checkSecondFactorProof(
  deps: AppDeps,
  request: FastifyRequest,
  userId: string,
  proof: SecondFactorProof,
): Promise<ProofMethod | null> {
  if (proof.code !== undefined) return (await deps.secondFactors.verifyTotp(userId, proof.code)) ? 'totp' : null;
  if (proof.recoveryCode !== undefined) {
    const remaining = await deps.secondFactors.useRecoveryCode(userId, proof.recoveryCode);
    if (remaining === null) return null;
    await deps.audit.event(request, 'mfa.recovery_code_used', { userId, details: { remaining } });
    return 'recoveryCode';
  }
  return null;
}
