import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { FastifyRequest } from 'fastify';
import type { ChallengeHolder } from '../auth/second-factor/webauthn-challenges.js';
import type { AppDeps } from '../wiring/deps.js';

/**
 * A passkey assertion checked for one ceremony (auth/second-factor/passkeys.ts), with what the HTTP
 * layer adds: a sign counter that went backwards (a cloned authenticator, S-80) is audited as
 * `passkey.counter_regression` against the credential's owner. The owner's id when it verified, else
 * null: every other refusal (challenge used, expired or another ceremony's; unknown credential; another
 * user's; bad signature, origin or RP ID; no user verification where required) is one "no".
 */
export async function checkPasskey(
  deps: AppDeps,
  request: FastifyRequest,
  holder: ChallengeHolder,
  response: unknown,
  opts: { expectUserId?: string; requireUserVerification: boolean },
): Promise<string | null> {
  // The request schema (schemas/requests/passkeys.ts AuthenticationResponse) checked the shape.
  const outcome = await deps.passkeys.verifyAssertion(holder, response as AuthenticationResponseJSON, opts);
  if (outcome.ok) return outcome.userId;
  if (outcome.reason === 'counter_regression') {
    await deps.audit.event(request, 'passkey.counter_regression', { userId: outcome.userId, details: { passkeyId: outcome.passkeyId } });
  }
  request.log.info({ event: 'passkey.refused', reason: outcome.reason, ceremony: holder.ceremony }, 'passkey assertion refused');
  return null;
}
