import { Type } from 'typebox';
import { Id, Nullable, Time } from './common.js';

/** Invitations to a shop (docs/api.md "Shops, members, invitations"). A token appears only in IssuedInvitation. */

const ShopRoleSchema = Type.Union([Type.Literal('owner'), Type.Literal('manager'), Type.Literal('clerk'), Type.Literal('viewer')]);

/** Who did something: `userId` null and `username` "deleted user" once that account is erased. */
export const PersonSchema = Type.Object({ userId: Nullable(Type.String()), username: Type.String() });

export const InvitationSchema = Type.Object({
  id: Id,
  role: ShopRoleSchema,
  email: Nullable(Type.String(), 'Only an account with this verified address may accept; null: anyone with the link.'),
  createdAt: Time,
  expiresAt: Time,
  createdBy: PersonSchema,
});

export const IssuedInvitationSchema = Type.Object({
  invitation: InvitationSchema,
  token: Type.String({ description: 'Shown once: only its hash is kept.' }),
  url: Type.String({ description: '`PUBLIC_URL/#/join/<token>`' }),
});

export const InvitationListSchema = Type.Object({ invitations: Type.Array(InvitationSchema) });

export const InvitationPreviewSchema = Type.Object({ shopName: Type.String(), role: ShopRoleSchema, expiresAt: Time });
