import { type Static, Type } from 'typebox';
import type { PublicSession } from '../../sessions/public-session.js';
import { Nullable, Time } from './common.js';
import { SessionShopsSchema } from './shops.js';
import { UserSchema } from './users.js';

export const SessionSchema = Type.Object({
  id: Type.String({ description: 'Public handle of the session; never the token.' }),
  createdAt: Time,
  lastSeenAt: Time,
  authenticatedAt: Time,
  idleExpiresAt: Time,
  absoluteExpiresAt: Time,
});

export const SessionListEntrySchema = Type.Object({
  id: Type.String(),
  createdAt: Time,
  lastSeenAt: Time,
  idleExpiresAt: Time,
  absoluteExpiresAt: Time,
  userAgent: Nullable(Type.String()),
  ip: Nullable(Type.String(), 'Truncated: IPv4 /24, IPv6 /48.'),
  current: Type.Boolean(),
});

/** The CSRF token of the session: always sent wherever a session is issued or shown. */
export const CsrfToken = Type.String();

export const SignedInSchema = Type.Object({ user: UserSchema, session: SessionSchema, csrfToken: CsrfToken });

/** GET /api/auth/session: the signed-in answer plus where the user works (docs/api.md "Shops, members, invitations"). */
export const WhoAmISchema = Type.Object({ ...SignedInSchema.properties, ...SessionShopsSchema });

type SameAs<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
export const publicSessionMatches: SameAs<Readonly<Static<typeof SessionSchema>>, PublicSession> = true;
