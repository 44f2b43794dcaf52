import type { Static } from 'typebox';
import { publicUser } from '../auth/users.js';
import type { SessionShops } from '../shops/session-shops.js';
import { publicSession } from '../sessions/public-session.js';
import type { Authenticated } from '../sessions/session.js';
import { csrfTokenOf } from '../sessions/tokens.js';
import type { WhoAmISchema } from './schemas/sessions.js';

export type WhoAmI = Static<typeof WhoAmISchema>;

interface Made {
  readonly token: string;
  readonly shops: SessionShops;
  readonly body: WhoAmI;
}

/**
 * GET /api/auth/session's body, made once per (session as cached, its shops as cached) and answered as
 * the same object while both stay the same ones: the session's entry in the local cache and the
 * shops cache's value are replaced, never changed in place, on renewal, rotation, a role or shop
 * change (sessions/tiers/local-cache.ts, shops/session-shops-cache.ts), so a new object is a new body.
 * The token is compared too, as csrfTokenOf does: a body is never answered for another token. Keyed
 * weakly: a session forgotten by the cache takes its body along (issue 20: building the body — five
 * lookups and two objects — cost a few µs of each "who am I").
 */
const made = new WeakMap<Authenticated, Made>();

export function whoAmI(auth: Authenticated, token: string, shops: SessionShops): WhoAmI {
  const known = made.get(auth);
  if (known !== undefined && known.shops === shops && known.token === token) return known.body;
  const body: WhoAmI = {
    user: publicUser(auth.user),
    session: publicSession(auth.session),
    csrfToken: csrfTokenOf(auth, token),
    shop: shops.shop,
    shops: shops.shops,
  };
  made.set(auth, { token, shops, body });
  return body;
}
