import { type Static, Type } from 'typebox';
import { StringEnum } from './common.js';

/** Requests of the invitation routes (docs/api.md "Shops, members, invitations"). Content rules: shops/invitations.ts. */

/** POST /api/shop/invitations: the role, and optionally the address the link is mailed and bound to. */
export const NewInvitationBody = Type.Object(
  {
    role: StringEnum(['owner', 'manager', 'clerk', 'viewer'] as const),
    email: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })),
  },
  { additionalProperties: false },
);
export type NewInvitationBody = Static<typeof NewInvitationBody>;

/** `:token` of an invitation link (anything not shaped like a token is a 404, never looked up). */
export const InvitationTokenParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: 64 }) });
