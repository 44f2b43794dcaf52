import { existsSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type RouteOptions } from 'fastify';
import type { AppDeps } from './wiring/deps.js';
import { AppError } from './errors.js';
import { truncateIp } from './lib/client-info.js';
import { trustProxyOption } from './lib/trust-proxy.js';
import { accessPlugin, publicScope } from './http/access.js';
import { activeMembership } from './shops/membership.js';
import { AccessLog } from './http/access-log.js';
import { sessionCookie } from './http/cookies.js';
import { mfaCookie } from './http/mfa-cookie.js';
import { mfaRoutes } from './http/routes/mfa.js';
import { passkeyRoutes } from './http/routes/passkeys.js';
import { PASSKEYS_NEED_A_HOST_NAME } from './auth/second-factor/relying-party.js';
import { errorsPlugin } from './http/plugins/errors.js';
import { metricsPlugin } from './http/plugins/metrics.js';
import { openapiPlugin } from './http/plugins/openapi.js';
import { refusalRecorder } from './http/refusals.js';
import { clientErrorHandler, frameworkErrors, requestHygienePlugin } from './http/plugins/request-hygiene.js';
import { requestGuardPlugin } from './http/plugins/request-guard.js';
import { genReqId } from './http/plugins/security.js';
import { adminRoutes } from './http/routes/admin.js';
import { authRoutes } from './http/routes/auth.js';
import { eventRoutes } from './http/routes/events.js';
import { countsRoutes } from './http/routes/counts.js';
import { itemsRoutes } from './http/routes/items.js';
import { labelsRoutes } from './http/routes/labels.js';
import { shopRoutes } from './http/routes/shop.js';
import { shopsRoutes } from './http/routes/shops.js';
import { invitationRoutes } from './http/routes/invitations.js';
import { ledgerRoutes } from './http/routes/ledger.js';
import { opsRoutes, type ReadinessCheck } from './http/routes/ops.js';
import { passwordResetRoutes } from './http/routes/password-reset.js';
import { emailRoutes } from './http/routes/email.js';
import { passwordResetRequestRoutes } from './http/routes/password-reset-request.js';
import { privacyRoutes } from './http/routes/privacy.js';
import { sessionRoutes } from './http/routes/sessions.js';

export interface AppOptions {
  /** Built web app (web/dist) to serve at /, when present. */
  webRoot?: string;
  readinessChecks?: ReadinessCheck[];
  https?: { cert: Buffer; key: Buffer };
  /** Sees every route as it is registered (tests compare them with the OpenAPI document). */
  onRoute?: (route: RouteOptions) => void;
}

/**
 * Builds the whole HTTP app from its dependencies. No I/O of its own and never listens: main.ts listens,
 * tests inject or listen on port 0.
 */
export async function buildApp(deps: AppDeps, options: AppOptions = {}): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    // The app's own logger, made by the composition root (wiring/deps.ts) before the app.
    loggerInstance: deps.log as FastifyBaseLogger,
    genReqId,
    // One access-log line per request, at completion (http/access-log.ts), not Fastify's two.
    logController: new AccessLog(),
    // X-Forwarded-For/-Proto/-Host are believed from the configured proxies only (S-75, trust-proxy.ts).
    trustProxy: trustProxyOption(config.trustProxy),
    bodyLimit: 1024 * 1024,
    // Refuse `__proto__` / `constructor.prototype` keys outright (prototype pollution, S-57).
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // During a drain (main.ts), a request that still arrives on an open keep-alive connection is served,
    // with `Connection: close`, rather than answered with Fastify's bare 503 (a proxy would pass that 503
    // on instead of retrying elsewhere). New connections are refused: the listener is closed.
    return503OnClosing: false,
    // Malformed URLs and requests the HTTP parser refuses answer as problem JSON too (request-hygiene.ts).
    frameworkErrors,
    clientErrorHandler,
    ...(options.https ? { https: options.https } : {}),
    ajv: {
      customOptions: {
        // No silent coercion: {"quantity": "5"} is a 400, not 5. Query strings arrive as strings, so
        // their schemas declare strings (with patterns) and handlers convert.
        coerceTypes: false,
        // Unknown fields are an error (additionalProperties: false), not silently dropped.
        removeAdditional: false,
        allErrors: true,
      },
    },
  });

  // Only JSON bodies (CSRF "simple" content types like text/plain are 415, S-30); a route that takes
  // another type (CSV import) registers its own parser inside its plugin.
  app.removeContentTypeParser(['text/plain']);
  if (options.onRoute) app.addHook('onRoute', options.onRoute);

  // Before any plugin that adds routes: every route must declare who may call it, and this enforces it
  // (a route without a declaration stops buildApp; access.ts).
  await app.register(accessPlugin, { membershipOf: (auth) => activeMembership(deps.db, auth.user.id, auth.session.idHash) });
  const cookie = sessionCookie(config.cookieSecure);
  // Refusals are counted, and audited or logged within bounds (http/refusals.ts, S-87): anyone can send
  // refused requests as fast as they like, and each must not cost a row.
  const recordRefusal = refusalRecorder(deps.audit, deps.metrics);
  // Security headers, request hygiene, cookie → session, CSRF: one onRequest hook, before every route's
  // own (http/plugins/request-guard.ts).
  await app.register(requestGuardPlugin, {
    // HSTS whenever we are, or sit behind, HTTPS: served directly with TLS_CERT_FILE, or Secure cookies.
    security: { hsts: config.cookieSecure || options.https !== undefined },
    session: {
      engine: deps.sessions,
      cookie,
      // A log line, not an audit row: a replayed dead cookie would otherwise be a way to write rows.
      onExpired: (request, session, lifetime) =>
        request.log.info(
          { event: 'session.expired', userId: session.userId, sessionId: session.id, lifetime, ip: truncateIp(request.ip) },
          'session expired',
        ),
    },
    csrf: {
      allowedOrigins: config.allowedOrigins,
      // The session step ran first, so a signed-in victim is attributed (and audited); anonymous
      // refusals are a log line at most.
      onFailure: (request, reason) => recordRefusal(request, 'csrf.failure', { reason }),
    },
  });
  await app.register(errorsPlugin);
  await app.register(requestHygienePlugin);
  // Before any route: the OpenAPI document collects routes as they are registered.
  await app.register(openapiPlugin);
  await app.register(metricsPlugin, {
    metrics: deps.metrics,
    db: deps.db,
    tokens: config.metricsTokens,
    behindProxy: config.trustProxy !== false,
    sessionStack: deps.sessionStack,
  });
  // A signed-in user refused by role (a merchant on an admin route, an admin on an inventory route):
  // audited as authz.denied (docs/security.md S-69), within the per-session bound. Step-up refusals
  // (reauth_required) are not denials of authority, and an unknown id answers 404 whoever owns it, so
  // neither is recorded here.
  app.addHook('onError', (request, _reply, error, done) => {
    if (error instanceof AppError && error.code === 'forbidden' && request.auth) {
      recordRefusal(request, 'authz.denied', { method: request.method, route: request.routeOptions.url ?? 'unmatched' });
    }
    done();
  });

  // Redis and the revocation bus report as optional checks: down means degraded (slower), not unready.
  const checks = [...(deps.sessionStack?.readinessChecks ?? []), ...(options.readinessChecks ?? [])];
  await app.register(opsRoutes, { deps, checks });
  const mfa = mfaCookie(config.cookieSecure);
  await app.register(authRoutes, { deps, cookie, mfa });
  await app.register(mfaRoutes, { deps, cookie, mfa });
  await app.register(passkeyRoutes, { deps, cookie, mfa });
  await app.register(sessionRoutes, { deps, cookie });
  await app.register(eventRoutes, { deps });
  await app.register(itemsRoutes, {
    db: deps.db,
    throttle: deps.throttle,
    pseudonyms: deps.pseudonyms,
    importQuota: { max: deps.config.importMax, window: deps.config.importWindow },
  });
  await app.register(countsRoutes, { db: deps.db, audit: deps.audit });
  await app.register(labelsRoutes, { db: deps.db });
  await app.register(shopsRoutes, {
    db: deps.db,
    audit: deps.audit,
    notices: { bus: deps.sessionStack?.bus, shopsCache: deps.shopsCache },
  });
  await app.register(shopRoutes, { deps });
  await app.register(invitationRoutes, { deps });
  await app.register(ledgerRoutes, { db: deps.db });
  await app.register(adminRoutes, { deps });
  await app.register(passwordResetRoutes, { deps });
  await app.register(emailRoutes, { deps });
  await app.register(passwordResetRequestRoutes, { deps });
  await app.register(privacyRoutes, { deps, cookie });

  if (options.webRoot && existsSync(options.webRoot)) {
    const root = options.webRoot;
    // The web app's files are public (a route per file, registered by @fastify/static, which cannot
    // carry a declaration); the API they talk to is guarded route by route.
    await app.register(publicScope((scope) => scope.register(fastifyStatic, { root, index: ['index.html'], wildcard: false })));
  }
  if (!deps.passkeys.usable) {
    // Once, at start: browsers refuse WebAuthn on an IP address, so every passkey route would fail.
    app.log.warn({ event: 'passkeys.unavailable', publicUrl: config.publicUrl }, PASSKEYS_NEED_A_HOST_NAME);
  }
  return app;
}
