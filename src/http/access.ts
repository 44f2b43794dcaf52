import type { FastifyInstance, FastifyPluginAsync, FastifyRequest, onRequestHookHandler, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../errors.js';
import type { Role } from '../auth/user.js';
import type { Authenticated } from '../sessions/session.js';
import { atLeast, type Membership } from '../shops/membership.js';
import type { ShopRole } from '../shops/shops.js';

/*
 * Default deny (docs/security.md S-47: only routes declared public are; S-51: function-level checks).
 * Every route states who may call it in its own options,
 *     app.get('/api/items', { config: { access: 'merchant' }, schema: … }, handler)
 * and this plugin is the one place that enforces it: at registration, a route without a declaration (or
 * with one it does not know) stops the server from starting, naming the route; at request time, the
 * declaration's check runs as the route's first onRequest hook — after the session and CSRF hooks, before
 * the body is read or any schema is looked at, so nobody learns a route's shape (or makes us parse a
 * 20 MiB CSV) without the right to call it. No session: 401 `unauthenticated`. Signed in with the wrong
 * platform role: 403 `forbidden`, which app.ts audits as authz.denied.
 *
 * Why the route's options hold the declaration (beside its schemas and OpenAPI text): it sits next to the
 * handler it protects, so a reviewer sees both at once, and a route copied elsewhere takes its rule along.
 * The OpenAPI document reads it from the registered route (openapi.ts: `x-access` and the security
 * requirement), so the contract cannot say one thing while the guard does another.
 *
 * Handlers that need the user (or the merchant id) read it with the typed accessors of guards.ts; those
 * do not decide anything.
 */

/**
 * Who may call a route:
 * - `public`: anyone, signed in or not (sign-in, health, the reset link);
 * - `scraper`: not a session — the route checks the metrics bearer token or loopback itself (metrics.ts);
 * - `user`: any signed-in user, whatever their role;
 * - a platform role (`merchant`, `admin`): signed in with exactly that role;
 * - a shop role (`shop:viewer`, `shop:clerk`, `shop:manager`, `shop:owner`), meaning *at least* that role
 *   in the session's active shop (docs/api.md "Shops, members, invitations": viewer < clerk < manager <
 *   owner). No session 401; a platform admin (whose memberships lie dormant) or no active shop 403; a
 *   role below the declared one 403. The membership is read fresh for each such request (shops/membership.ts)
 *   and left on `request.membership` for guards.ts's requireShop.
 * Each new value needs its entry in CHECKS below, and the compiler asks for it.
 */
export type ShopAccess = `shop:${ShopRole}`;
export type Access = 'public' | 'scraper' | 'user' | Role | ShopAccess;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call this route (required at runtime on every route; see src/http/access.ts). */
    access?: Access;
  }
  interface FastifyRequest {
    /** The caller's membership in the active shop, set by a `shop:*` access check; null elsewhere. */
    membership: Membership | null;
  }
}

/** How a shop check learns the caller's membership in their active shop (app.ts passes the database's). */
export type MembershipOf = (auth: Authenticated) => Promise<Membership | null>;

const unauthenticated = () => new AppError('unauthenticated', 'Sign in to continue.');

/** Callback style: no promise per request (this runs on every guarded request). */
const signedIn: onRequestHookHandler = (request, _reply, done) => {
  if (!request.auth) return done(unauthenticated());
  done();
};

function withRole(role: Role, refusal: string): onRequestHookHandler {
  return (request, _reply, done) => {
    if (!request.auth) return done(unauthenticated());
    if (request.auth.user.role !== role) return done(new AppError('forbidden', refusal));
    done();
  };
}

function withShopRole(min: ShopRole, membershipOf: MembershipOf): onRequestHookHandler {
  return async (request: FastifyRequest) => {
    const auth = request.auth;
    if (!auth) throw unauthenticated();
    // An admin's memberships are dormant: admins never read a shop's inventory (S-51).
    if (auth.user.role !== 'merchant') throw new AppError('forbidden', 'Administrators have no shop.');
    const membership = await membershipOf(auth);
    if (!membership) throw new AppError('forbidden', 'You are not working in a shop.');
    // Before the role: whoever is refused here can do something about it (enrol), and a role refusal
    // would hide that. Not audited as authz.denied (a policy of the shop, not a denial of authority).
    if (membership.secondFactorMissing)
      throw new AppError('mfa_required', 'This shop requires two-factor sign-in: turn it on under Security first.');
    if (!atLeast(membership.role, min)) throw new AppError('forbidden', 'Your role in this shop does not allow this.');
    request.membership = membership;
  };
}

/** The request-time check of each declaration; null: nothing to check here. */
function checks(membershipOf: MembershipOf): Readonly<Record<Access, onRequestHookHandler | null>> {
  return {
    public: null,
    scraper: null,
    user: signedIn,
    merchant: withRole('merchant', 'Only merchants have an inventory.'),
    admin: withRole('admin', 'Administrators only.'),
    'shop:viewer': withShopRole('viewer', membershipOf),
    'shop:clerk': withShopRole('clerk', membershipOf),
    'shop:manager': withShopRole('manager', membershipOf),
    'shop:owner': withShopRole('owner', membershipOf),
  };
}

const KNOWN = checks(async () => null);
export const isAccess = (value: unknown): value is Access => typeof value === 'string' && Object.hasOwn(KNOWN, value);
export const isShopAccess = (value: unknown): value is ShopAccess =>
  typeof value === 'string' && value.startsWith('shop:') && isAccess(value);

/**
 * Routes of plugins we do not own (the docs UI, the web app's static files) cannot carry a declaration:
 * register such a plugin inside `publicScope(…)` and its routes are public — a deliberate choice made at
 * the one call site, not a rule about URLs that a future route could fall under by accident. Encapsulated:
 * the mark holds for this scope and the plugins inside it only.
 */
const PUBLIC_SCOPE = Symbol('stockade.publicScope');

export const publicScope =
  (body: (scope: FastifyInstance) => PromiseLike<unknown>): FastifyPluginAsync =>
  async (scope) => {
    scope.decorate(PUBLIC_SCOPE, true);
    await body(scope);
  };

const describe = (route: RouteOptions) => `${[route.method].flat().join(',')} ${route.url}`;

export interface AccessOptions {
  /** Required once any route is declared `shop:*`; without it such a route stops buildApp. */
  membershipOf?: MembershipOf;
}

async function access(app: FastifyInstance, { membershipOf }: AccessOptions) {
  const CHECKS = checks(
    membershipOf ??
      (async () => {
        throw new Error('access: a shop route was called but the access plugin was given no membershipOf');
      }),
  );
  app.decorateRequest('membership', null);
  // `this` is the instance the route is registered on (Fastify calls onRoute hooks with it), which is how
  // a route inside a publicScope is recognised. Throwing here fails that plugin's registration, and so
  // buildApp and the server's start.
  app.addHook('onRoute', function declare(this: FastifyInstance, route: RouteOptions) {
    const declared = route.config?.access;
    if (declared === undefined) {
      if (this.hasDecorator(PUBLIC_SCOPE)) return;
      throw new Error(`${describe(route)} declares no access: add config: { access: … } to its options (see src/http/access.ts)`);
    }
    if (!isAccess(declared))
      throw new Error(`${describe(route)} declares an unknown access "${String(declared)}" (see src/http/access.ts)`);
    const check = CHECKS[declared];
    // First of the route's own onRequest hooks: the route's other hooks run only for callers it admits.
    if (check) route.onRequest = [check, ...[route.onRequest ?? []].flat()];
  });
}

// Registered before every plugin that adds routes (app.ts). It needs no other plugin to be registered
// first: request.auth is filled by the session plugin's global onRequest hook, which always runs before
// a route's own hooks.
export const accessPlugin = fp<AccessOptions>(access, { name: 'stockade-access', fastify: '5.x' });
