import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import { Type } from 'typebox';
import { wrongCredentials } from '../../auth/password-checks.js';
import { type Counter, tooManyAttempts } from '../../auth/throttle.js';
import { AppError } from '../../errors.js';
import type { AppDeps } from '../../wiring/deps.js';
import type { SessionCookie } from '../cookies.js';
import { requireFreshAuth, requireUser } from '../guards.js';
import type { MfaCookie } from '../mfa-cookie.js';
import { checkPasskey } from '../passkey-proof.js';
import { CreationOptionsSchema, PasskeySchema, RecoveryCodesSchema, RequestOptionsSchema } from '../schemas/mfa.js';
import { IdParams } from '../schemas/requests/common.js';
import { PasskeyRegisterBody, PasskeyRenameBody, PasskeySignInBody } from '../schemas/requests/passkeys.js';
import { SignedInSchema } from '../schemas/sessions.js';
import { startSession } from '../sign-in.js';

/**
 * Passkeys (docs/api.md "Second factor", docs/security.md S-80): the signed-in user's passkeys, the
 * WebAuthn options of every ceremony, and passwordless sign-in. The second step and step-up take their
 * `{passkey}` in mfa.ts and auth.ts; the reset in password-reset.ts.
 *
 * Every options route issues a challenge bound to its ceremony and holder (webauthn-challenges.ts):
 * registration and step-up to this session, the second step to the pending sign-in, passwordless to
 * nothing (it is public) — bounded per client address instead. With PUBLIC_URL naming an IP address
 * they answer 409 (relying-party.ts says why).
 */

export interface PasskeyRoutesOptions {
  deps: AppDeps;
  cookie: SessionCookie;
  mfa: MfaCookie;
}

/** Passwordless options one client address group may fetch in a run of requests less than a minute apart. */
const PASSWORDLESS_OPTIONS_PER_ADDRESS = 600;
const PASSWORDLESS_OPTIONS_WINDOW_SECONDS = 60;

/**
 * The options routes take nothing: no body, or `{}`. Anything else is a 400 before any cookie is read
 * (a malformed request is told so, not "your sign-in expired").
 */
function refuseInput(body: unknown): void {
  if (body === undefined || body === null) return;
  if (typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0) return;
  throw new AppError('validation', 'This request takes no input.', { errors: [{ path: 'body', message: 'must be empty' }] });
}

const noPasskey = () => new AppError('conflict', 'This account has no passkey.');

export const passkeyRoutes: FastifyPluginAsyncTypebox<PasskeyRoutesOptions> = async (app, { deps, cookie, mfa }) => {
  const { passkeys, audit, config, sessions, throttle } = deps;

  app.post(
    '/api/me/passkeys/options',
    {
      config: {
        access: 'user',
        operation: {
          tag: 'auth',
          summary: 'WebAuthn creation options for a new passkey (needs a fresh authentication)',
          description:
            'A discoverable credential is asked for; the challenge is single use, bound to this session, for 5 minutes. 409 when PUBLIC_URL names an IP address (passkeys need a host name) or the account holds the most passkeys allowed.',
          ok: { status: 200, description: 'Options for navigator.credentials.create() (JSON).' },
          errors: [409],
        },
      },
      schema: { response: { 200: CreationOptionsSchema } },
    },
    async (request) => {
      const auth = requireUser(request);
      requireFreshAuth(auth, config.session.reauthWindow);
      return passkeys.registrationOptions(auth.user, auth.session.id);
    },
  );

  app.post(
    '/api/me/passkeys',
    {
      config: {
        access: 'user',
        operation: {
          tag: 'auth',
          summary: 'Register a passkey',
          description:
            "The response of navigator.credentials.create() to this session's options. Ten recovery codes, shown this once, when this is the first second factor. Not verified (challenge used, expired or another session's; wrong origin or RP ID; bad attestation): 400 on `response`. Already registered: 409.",
          ok: { status: 201, description: 'Registered; `recoveryCodes` when this is the first second factor.' },
          errors: [409],
        },
      },
      schema: {
        body: PasskeyRegisterBody,
        response: { 201: Type.Object({ passkey: PasskeySchema, recoveryCodes: Type.Optional(RecoveryCodesSchema) }) },
      },
    },
    async (request, reply) => {
      const auth = requireUser(request);
      const { response, name } = request.body;
      // The request schema checked the shape (schemas/requests/passkeys.ts).
      const done = await passkeys.register(auth.user.id, auth.session.id, response as RegistrationResponseJSON, name);
      // A second-factor change voids reset links issued before it (docs/api.md).
      await deps.passwordResets.voidAll(auth.user.id);
      await audit.event(request, 'passkey.registered', {
        userId: auth.user.id,
        details: { passkeyId: done.passkey.id, recoveryCodesIssued: done.recoveryCodes !== null },
      });
      return reply
        .status(201)
        .send(done.recoveryCodes ? { passkey: done.passkey, recoveryCodes: done.recoveryCodes } : { passkey: done.passkey });
    },
  );

  app.patch(
    '/api/me/passkeys/:id',
    {
      config: {
        access: 'user',
        operation: { tag: 'auth', summary: 'Rename a passkey', ok: { status: 200, description: 'Renamed.' }, errors: [404] },
      },
      schema: { params: IdParams, body: PasskeyRenameBody, response: { 200: Type.Object({ passkey: PasskeySchema }) } },
    },
    async (request) => {
      const auth = requireUser(request);
      const passkey = await passkeys.rename(auth.user.id, request.params.id, request.body.name);
      if (!passkey) throw new AppError('not_found', 'No such passkey.');
      await audit.event(request, 'passkey.renamed', { userId: auth.user.id, details: { passkeyId: passkey.id } });
      return { passkey };
    },
  );

  app.delete(
    '/api/me/passkeys/:id',
    {
      config: {
        access: 'user',
        operation: {
          tag: 'auth',
          summary: 'Delete a passkey (needs a fresh authentication)',
          description:
            'Deleting the last second factor is turning two-factor sign-in off: the recovery codes go, the other sessions end, and the owner is mailed.',
          ok: { status: 204, description: 'Deleted.' },
          errors: [404],
        },
      },
      schema: { params: IdParams },
    },
    async (request, reply) => {
      const auth = requireUser(request);
      requireFreshAuth(auth, config.session.reauthWindow);
      const { removed, last } = await deps.secondFactors.removePasskey(auth.user.id, request.params.id);
      if (!removed) throw new AppError('not_found', 'No such passkey.');
      await deps.passwordResets.voidAll(auth.user.id);
      let revoked = 0;
      if (last) {
        // As DELETE /api/me/mfa/totp: a weaker sign-in from now on, so whoever signed in elsewhere with
        // the factor's help is out ("signed out on another device": the owner's own doing), and the owner is told.
        revoked = await sessions.revokeUser(auth.user.id, auth.session, 'signed_out');
        await deps.notices.secondFactorRemoved(auth.user.id, 'removed');
      }
      await audit.event(request, 'passkey.removed', {
        userId: auth.user.id,
        details: { passkeyId: request.params.id, lastFactor: last, sessionsRevoked: revoked },
      });
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/auth/login/mfa/options',
    {
      config: {
        access: 'public',
        operation: {
          tag: 'auth',
          summary: "WebAuthn request options for a sign-in's second step",
          description:
            "Needs the pending cookie from POST /api/auth/login; the options allow that user's passkeys and the challenge is bound to that pending sign-in. No pending sign-in: 401; no passkey, or PUBLIC_URL naming an IP address: 409.",
          ok: { status: 200, description: 'Options for navigator.credentials.get() (JSON).' },
          errors: [401, 409],
        },
      },
      schema: { response: { 200: RequestOptionsSchema } },
    },
    async (request, reply) => {
      refuseInput(request.body);
      const token = mfa.read(request);
      const pending = token ? await deps.pendingSignIns.find(token) : null;
      if (!token || !pending) {
        mfa.clear(reply);
        throw new AppError('unauthenticated', 'The sign-in has expired. Sign in again.');
      }
      if (!(await deps.secondFactors.methods(pending.userId)).includes('passkey')) throw noPasskey();
      return passkeys.requestOptions({ ceremony: 'second_step', binding: token }, pending.userId);
    },
  );

  app.post(
    '/api/auth/reauthenticate/options',
    {
      config: {
        access: 'user',
        operation: {
          tag: 'auth',
          summary: 'WebAuthn request options for step-up with a passkey',
          description:
            'The challenge is bound to this session; user verification is required. No passkey, or PUBLIC_URL naming an IP address: 409.',
          ok: { status: 200, description: 'Options for navigator.credentials.get() (JSON).' },
          errors: [409],
        },
      },
      schema: { response: { 200: RequestOptionsSchema } },
    },
    async (request) => {
      const auth = requireUser(request);
      if (!(await deps.secondFactors.methods(auth.user.id)).includes('passkey')) throw noPasskey();
      return passkeys.requestOptions({ ceremony: 'step_up', binding: auth.session.id }, auth.user.id);
    },
  );

  app.post(
    '/api/auth/passkey/options',
    {
      config: {
        access: 'public',
        operation: {
          tag: 'auth',
          summary: 'WebAuthn request options for passwordless sign-in',
          description:
            'Any discoverable credential; user verification required; the challenge is single use, for 5 minutes. Rate-limited per client address (429); 409 when PUBLIC_URL names an IP address.',
          ok: { status: 200, description: 'Options for navigator.credentials.get() (JSON).' },
          errors: [409, 429],
        },
      },
      schema: { response: { 200: RequestOptionsSchema } },
    },
    async (request) => {
      const closed = await throttle.quota(
        await throttle.addressKeys('passkey-options', request.ip),
        PASSWORDLESS_OPTIONS_PER_ADDRESS,
        PASSWORDLESS_OPTIONS_WINDOW_SECONDS,
      );
      if (closed) throw tooManyAttempts(closed, throttle.now());
      return passkeys.requestOptions({ ceremony: 'passwordless', binding: '' }, null);
    },
  );

  app.post(
    '/api/auth/passkey',
    {
      config: {
        access: 'public',
        operation: {
          tag: 'auth',
          summary: 'Sign in with a passkey (no password)',
          description:
            'A user-verified assertion of a discoverable credential, to the options of POST /api/auth/passkey/options: both factors at once. Counted on the sign-in throttle like a password guess (429, checked first). Unknown credential, disabled account, no user verification, used or expired challenge: the one 401 of every refused sign-in.',
          ok: { status: 200, description: 'Signed in with a fresh token; sets the session cookie.' },
          errors: [401, 429],
        },
      },
      schema: { body: PasskeySignInBody, response: { 200: SignedInSchema } },
    },
    async (request, reply) => {
      const { response } = request.body;
      // A session cookie presented at sign-in dies: the new session never inherits anything (fixation).
      const presented = request.cookies[cookie.name];
      if (presented) await sessions.revokeToken(presented);
      // Whose credential it names, for the throttle's keys: the account's and this pair's, as a password
      // guess would count; an unknown credential counts on this address alone (there is no account).
      const owner = await passkeys.ownerOf(response.id);
      const signInCounters = await throttle.signIn(owner?.username ?? '', request.ip);
      const counters: Counter[] = owner ? signInCounters : signInCounters.filter((c) => c.scope === 'address');
      const outcome = await throttle.attempt(counters, async () => {
        const userId = await checkPasskey(deps, request, { ceremony: 'passwordless', binding: '' }, response, {
          requireUserVerification: true,
        });
        const user = userId ? await deps.users.findById(userId) : null;
        return user && !user.disabled ? user : null;
      });
      if (outcome.kind === 'locked') {
        request.log.warn(
          { event: 'login.throttled', lockedUntil: outcome.until.toISOString() },
          'passkey sign-in refused while locked out',
        );
        throw tooManyAttempts(outcome.until, throttle.now());
      }
      if (outcome.kind === 'failed') {
        await audit.event(request, 'login.failure', { userId: owner?.id ?? null, details: { method: 'passkey' } });
        if (outcome.lockedNow.length > 0 && outcome.lockedUntil) {
          deps.metrics.signInLockouts.inc({ scope: outcome.lockedNow.join(',') });
          await audit.event(request, 'login.lockout', {
            userId: outcome.lockedNow.some((scope) => scope !== 'address') ? (owner?.id ?? null) : null,
            details: { scope: outcome.lockedNow.join(','), until: outcome.lockedUntil.toISOString() },
          });
        }
        if (outcome.lockedUntil) throw tooManyAttempts(outcome.lockedUntil, throttle.now());
        throw wrongCredentials();
      }
      // The store writes the session only for an enabled user whose password is still the one it read
      // (S-72): here, the one on the row just read, so a disable in between still ends in the one 401.
      return startSession(deps, cookie, request, reply, outcome.value, false, { method: 'passkey' });
    },
  );
};
