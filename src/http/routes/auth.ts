import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { checkSignIn, confirmOwner, confirmPassword, wrongCredentials } from '../../auth/password-checks.js';
import { REGISTER_WINDOW_SECONDS, tooManyAttempts } from '../../auth/throttle.js';
import { publicUser } from '../../auth/users.js';
import { NO_SHOPS, type SessionShops, sessionShops } from '../../shops/session-shops.js';
import { type ActiveShop, checkShopName, defaultShopName, openShop } from '../../shops/shops.js';
import type { AppDeps } from '../../wiring/deps.js';
import { AppError } from '../../errors.js';
import { deviceSummary, truncateIp } from '../../lib/client-info.js';
import type { NewSession } from '../../sessions/engine.js';
import type { Authenticated } from '../../sessions/session.js';
import type { SessionCookie } from '../cookies.js';
import { requireUser } from '../guards.js';
import { JSON_TYPE, whoAmIJson } from '../who-am-i.js';
import { publicSession } from '../../sessions/public-session.js';
import { Type } from 'typebox';
import { CsrfToken, SessionSchema, SignedInSchema, WhoAmISchema } from '../schemas/sessions.js';
import type { MfaCookie } from '../mfa-cookie.js';
import { MfaRequiredSchema } from '../schemas/mfa.js';
import { checkSecondFactorProof } from '../second-factor-proof.js';
import { checkPasskey } from '../passkey-proof.js';
import { startSecondStep, startSession } from '../sign-in.js';
import { UserSchema } from '../schemas/users.js';
import { ActiveShopSchema } from '../schemas/shops.js';
import { LoginBody, PasswordChangeBody, ReauthBody, RegisterBody } from '../schemas/requests/auth.js';

/** Sign-up, sign-in, sign-out, "who am I", step-up and password change. */

export interface AuthRoutesOptions {
  deps: AppDeps;
  cookie: SessionCookie;
  /** The pending sign-in cookie of a user with a second factor (mfa.ts has the second step). */
  mfa: MfaCookie;
}

// Answers: sign-up has no session to show yet; step-up shows the rotated one.
const Registered = Type.Object({ user: UserSchema, csrfToken: CsrfToken, shop: ActiveShopSchema });
const Reauthenticated = Type.Object({ session: SessionSchema, csrfToken: CsrfToken });

export const authRoutes: FastifyPluginAsyncTypebox<AuthRoutesOptions> = async (app, { deps, cookie, mfa }) => {
  const { sessions, authenticator, users, audit, throttle, config } = deps;

  const clientOf = (request: FastifyRequest) => ({
    userAgent: deviceSummary(request.headers['user-agent']),
    ip: truncateIp(request.ip),
  });

  const issue = (reply: FastifyReply, created: NewSession) =>
    cookie.set(reply, created.token, created.session, sessions.cookieMaxAge(created.session));

  /** A session cookie presented at sign-in dies: the new session never inherits anything (fixation). */
  const dropPresented = async (request: FastifyRequest) => {
    const presented = request.cookies[cookie.name];
    if (presented) await sessions.revokeToken(presented);
  };

  app.post(
    '/api/auth/register',
    {
      config: {
        access: 'public',
        operation: {
          tag: 'auth',
          summary: 'Create a merchant account and sign in',
          description:
            'Without `invitation` the account opens its own shop (`shopName`, default "USERNAME\'s shop"). With the token of a valid invitation it joins that shop instead, with the invited role, and opens none; an invalid invitation (unknown, used, expired, withdrawn, or bound to an e-mail address) is 404 and nothing is created. `shopName` and `invitation` together are 400.',
          ok: { status: 201, description: 'Signed in; sets the session cookie. `shop`: the shop the account works in.' },
          errors: [404, 409, 429],
        },
      },
      schema: {
        body: RegisterBody,
        response: { 201: Registered },
      },
    },
    async (request, reply) => {
      // Counted before any hashing, whatever the outcome (a refused weak password costs little, but a
      // flood of them is still a flood).
      const closedUntil = await throttle.quota(
        await throttle.addressKeys('register', request.ip),
        config.registerAddressMax,
        REGISTER_WINDOW_SECONDS,
      );
      if (closedUntil) {
        request.log.warn({ event: 'register.rate_limited' }, 'sign-ups from this address paused');
        throw tooManyAttempts(closedUntil, throttle.now());
      }
      const { invitation, shopName } = request.body;
      if (invitation !== undefined && shopName !== undefined) {
        const message = 'A shop name is for a new shop; joining by invitation opens none.';
        throw new AppError('validation', message, { errors: [{ path: 'shopName', message }] });
      }
      const name = shopName === undefined ? undefined : checkShopName(shopName, 'shopName');
      // A dead link is refused before the password is hashed (and again, authoritatively, in the
      // transaction). An e-mail-bound link needs a verified address, which a new account has not: 404.
      if (invitation !== undefined && !(await deps.invitations.findLive(deps.db, invitation)).boundTo(null)) {
        throw new AppError('not_found', 'This invitation is not valid: it may have been used, withdrawn or have expired.');
      }
      // The account and its shop (its own, or the one it is invited to) in one transaction: a failure
      // — a taken username, an invitation used up by a racing accept — leaves neither.
      let shop: ActiveShop | undefined;
      let invitationId: string | undefined;
      const user = await authenticator.register(request.body.username, request.body.password, 'merchant', async (tx, created) => {
        if (invitation !== undefined) {
          const joined = await deps.invitations.joinIn(tx, invitation, created.id);
          shop = joined.shop;
          invitationId = joined.invitationId;
        } else {
          const opened = await openShop(tx, created.id, name ?? defaultShopName(created.username));
          shop = { id: opened.id, name: opened.name, role: 'owner', currency: opened.currency, timezone: opened.timezone };
        }
      });
      if (!shop) throw new Error('register: the account was created without a shop');
      await dropPresented(request);
      const created = await sessions.create(user, clientOf(request));
      // Only an admin disabling the account in the instant since it was made: it exists, and is not usable.
      if (!created) throw wrongCredentials();
      issue(reply, created);
      // The account's first device: remembered, so a sign-in from another one is noticed (auth/notices.ts).
      await deps.notices.signedIn(user.id, created.session.userAgent, created.session.ip, { notify: false });
      await audit.event(request, 'account.created', { userId: user.id, details: { sessionId: created.session.id, shopId: shop.id } });
      if (invitationId) {
        await audit.event(request, 'invitation.accepted', {
          userId: user.id,
          details: { shopId: shop.id, invitationId, role: shop.role, atSignUp: true },
        });
      }
      return reply.status(201).send({ user: publicUser(created.user), csrfToken: created.csrfToken, shop });
    },
  );

  app.post(
    '/api/auth/login',
    {
      config: {
        access: 'public',
        operation: {
          tag: 'auth',
          summary: 'Sign in',
          description:
            'Unknown user, wrong password and disabled account get the same 401 in about the same time. Too many failures: 429 with Retry-After.',
          ok: {
            status: 200,
            description:
              'Signed in with a fresh token; sets the session cookie. With a second factor enrolled: `{mfaRequired, methods}` and the pending cookie instead (POST /api/auth/login/mfa).',
          },
          errors: [401, 429],
        },
      },
      schema: {
        body: LoginBody,
        response: { 200: Type.Union([SignedInSchema, MfaRequiredSchema]) },
      },
    },
    async (request, reply) => {
      const { body } = request;
      await dropPresented(request);
      // Throttled per account and address, audited; every refusal is one uniform 401 or 429.
      const user = await checkSignIn(deps, request, body.username, body.password);
      // A second factor enrolled: no session yet, only a pending sign-in bound to this one (S-79).
      const methods = await deps.secondFactors.methods(user.id);
      if (methods.length > 0) return startSecondStep(deps, mfa, reply, user, body.remember === true, methods);
      // The user was read before the hash; an admin may have disabled or demoted them, or voided the
      // password, since. The store writes the session only for an enabled user whose password is still
      // the one checked, with the role it holds now (S-72): a disabled user or a voided password gets
      // the same 401 as a wrong password, a demoted user is signed in with the new role.
      return startSession(deps, cookie, request, reply, user, body.remember === true);
    },
  );

  app.post(
    '/api/auth/logout',
    {
      config: {
        access: 'public',
        operation: {
          tag: 'auth',
          summary: 'Sign out (deletes the server-side session)',
          ok: { status: 204, description: 'Signed out; cookie cleared.' },
        },
      },
    },
    async (request, reply) => {
      const presented = request.cookies[cookie.name];
      const ended = presented ? await sessions.revokeToken(presented) : null;
      if (ended) await audit.event(request, 'logout', { userId: ended.userId, details: { sessionId: ended.id } });
      cookie.clear(reply);
      reply.header('clear-site-data', '"cache", "cookies", "storage"');
      return reply.status(204).send();
    },
  );

  app.get(
    '/api/auth/session',
    {
      config: {
        access: 'user',
        operation: {
          tag: 'auth',
          summary: 'Who am I',
          ok: {
            status: 200,
            description:
              'The current user, session and CSRF token, the active shop (`shop`, with your role there) and every shop you belong to (`shops`). An administrator gets `shop: null` and `shops: []`: their memberships lie dormant.',
          },
        },
      },
      schema: { response: { 200: WhoAmISchema } },
    },
    (request, reply) => {
      const auth = requireUser(request);
      const token = request.sessionToken!;
      // From this server's copy when it has one (shops/session-shops-cache.ts: forgotten on every change,
      // on every server, within the bus's propagation time), else one prepared statement. An admin's
      // memberships are dormant, so nothing is read for them.
      const cache = deps.shopsCache;
      const shops =
        auth.user.role !== 'merchant'
          ? NO_SHOPS
          : cache
            ? cache.read(auth.user.id, auth.session)
            : sessionShops(deps.db, auth.user.id, auth.session.idHash);
      // Not async: answered from both caches, the text is returned as it is (no promise, no microtask),
      // made and serialised once per cached session and shops (who-am-i.ts).
      if (shops instanceof Promise) return shops.then((s) => sendWhoAmI(reply, auth, token, s));
      sendWhoAmI(reply, auth, token, shops);
    },
  );

  app.post(
    '/api/auth/reauthenticate',
    {
      config: {
        access: 'user',
        operation: {
          tag: 'auth',
          summary: 'Step-up: confirm the password (and a code with a second factor enrolled), or use a passkey (rotates the token)',
          ok: { status: 200, description: 'Freshly authenticated.' },
          errors: [429],
        },
      },
      schema: {
        body: ReauthBody,
        response: { 200: Reauthenticated },
      },
    },
    async (request, reply) => {
      const auth = requireUser(request);
      const user = await users.findById(auth.user.id);
      if (!user) throw new AppError('unauthenticated', 'Your session has ended.');
      const { body } = request;
      if ('passkey' in body) {
        // A user-verified passkey of this user, its challenge issued to this session for step-up: both
        // factors at once. Counted like a wrong password on this session's step-up keys (S-74).
        const holder = { ceremony: 'step_up' as const, binding: auth.session.id };
        await confirmOwner(deps, request, user, auth.session.id, 'reauth.failure', async () =>
          (await checkPasskey(deps, request, holder, body.passkey, { expectUserId: user.id, requireUserVerification: true })) === user.id
            ? null
            : { field: 'passkey', message: 'That passkey could not be verified. Try again.' },
        );
      } else {
        // With a second factor enrolled, the password alone is not enough (S-81).
        const { code, recoveryCode } = body;
        const enrolled = (await deps.secondFactors.methods(user.id)).length > 0;
        if (enrolled && (code === undefined) === (recoveryCode === undefined)) {
          const message = 'Enter a code from your authenticator app, or a recovery code, or use a passkey.';
          throw new AppError('validation', message, { errors: [{ path: 'code', message }] });
        }
        if (!enrolled && (code !== undefined || recoveryCode !== undefined)) {
          const message = 'Two-factor sign-in is not on for this account.';
          throw new AppError('validation', message, { errors: [{ path: code !== undefined ? 'code' : 'recoveryCode', message }] });
        }
        await confirmPassword(deps, request, user, auth.session.id, body.password, {
          failure: 'reauth.failure',
          field: 'password',
          message: 'That password is not right.',
          ...(enrolled
            ? {
                secondFactor: {
                  check: async () => (await checkSecondFactorProof(deps, request, user.id, { code, recoveryCode })) !== null,
                  field: code !== undefined ? 'code' : 'recoveryCode',
                  message: 'That code is not right.',
                },
              }
            : {}),
        });
      }
      const rotated = await sessions.rotate(auth, { reauthenticated: true });
      if (!rotated) throw new AppError('unauthenticated', 'Your session has ended.');
      issue(reply, rotated);
      await audit.event(request, 'reauth.success', { userId: user.id, details: { sessionId: rotated.session.id } });
      return { session: publicSession(rotated.session), csrfToken: rotated.csrfToken };
    },
  );

  app.post(
    '/api/auth/password',
    {
      config: {
        access: 'user',
        operation: {
          tag: 'auth',
          summary: 'Change the password (rotates this session, revokes every other)',
          ok: { status: 200, description: 'Changed; sets the new cookie.' },
          errors: [429],
        },
      },
      schema: {
        body: PasswordChangeBody,
        response: { 200: Type.Object({ csrfToken: CsrfToken }) },
      },
    },
    async (request, reply) => {
      const auth = requireUser(request);
      const user = await users.findById(auth.user.id);
      if (!user) throw new AppError('unauthenticated', 'Your session has ended.');
      // A wrong current password counts toward the sign-in throttle (docs/api.md).
      await confirmPassword(deps, request, user, auth.session.id, request.body.currentPassword, {
        failure: 'password.change_failure',
        field: 'currentPassword',
        message: 'The current password is not right.',
      });
      await authenticator.changePassword(user, request.body.newPassword);
      await deps.passwordResets.voidAll(user.id);
      // A new token for this device, and every other session of the user ends: whoever knew the old
      // password is out.
      const rotated = await sessions.rotate(auth, { reauthenticated: true });
      if (!rotated) throw new AppError('unauthenticated', 'Your session has ended.');
      const revoked = await sessions.revokeUser(user.id, rotated.session, 'password_changed');
      issue(reply, rotated);
      await deps.notices.passwordChanged(user.id, 'changed');
      await audit.event(request, 'password.changed', { userId: user.id, details: { sessionsRevoked: revoked } });
      return { csrfToken: rotated.csrfToken };
    },
  );
};

/**
 * Who-am-I's answer: its serialised text (who-am-i.ts), sent with the type Fastify gives serialised JSON
 * (a text with that type is sent as it is). Sent here, not returned: the handler returns nothing (or a
 * promise of nothing), so Fastify does not send twice.
 */
function sendWhoAmI(reply: FastifyReply, auth: Authenticated, token: string, shops: SessionShops): void {
  reply.header('content-type', JSON_TYPE);
  reply.send(whoAmIJson(auth, token, shops, reply));
}
