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
  /** The body as the route's response schema serialised it (fast-json-stringify): the bytes answered. */
  readonly json: Serialized;
}

/** What the route answers its JSON with (Fastify's own default for a serialised body). */
export const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * GET /api/auth/session's body, made and serialised once per (session as cached, its shops as cached)
 * and answered as the same text while both stay the same objects: the session's entry in the local
 * cache and the shops cache's value are replaced, never changed in place, on renewal, rotation, a role
 * or shop change (sessions/tiers/local-cache.ts, shops/session-shops-cache.ts), so a new object is a
 * new body. The token is compared too, as csrfTokenOf does: a body is never answered for another token.
 * Keyed weakly: a session forgotten by the cache takes its body along.
 *
 * Serialised by the route's own response schema (the reply's `serialize`), so the schema still
 * decides which fields go out; only the repetition is saved. Issue 20: building the body cost a few µs
 * of each "who am I", and serialising it ~4 µs more — `shop` is nullable, an anyOf, which
 * fast-json-stringify settles by running a validator on every answer.
 */
const made = new WeakMap<Authenticated, Made>();

/** What serialises a body by the route's response schema: the route's reply (no closure per request). */
export interface Serializer {
  serialize(body: WhoAmI): Serialized;
}
/** fast-json-stringify makes text; Fastify types a reply's serialiser more widely. */
export type Serialized = string | Buffer | ArrayBuffer;

export function whoAmIJson(auth: Authenticated, token: string, shops: SessionShops, serializer: Serializer): Serialized {
  const known = made.get(auth);
  if (known !== undefined && known.shops === shops && known.token === token) return known.json;
  const body: WhoAmI = {
    user: publicUser(auth.user),
    session: publicSession(auth.session),
    csrfToken: csrfTokenOf(auth, token),
    shop: shops.shop,
    shops: shops.shops,
  };
  const json = serializer.serialize(body);
  made.set(auth, { token, shops, json });
  return json;
}
