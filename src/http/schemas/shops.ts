import { Type } from 'typebox';
import { NextCursor, Nullable, Time } from './common.js';

/** A shop as the session sees it: the shop and the caller's role there (docs/api.md "Shops, members, invitations"). */
export const ShopRoleSchema = Type.Union([Type.Literal('owner'), Type.Literal('manager'), Type.Literal('clerk'), Type.Literal('viewer')]);

export const ActiveShopSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  role: ShopRoleSchema,
  currency: Type.String(),
  timezone: Type.String(),
});

export const ShopEnvelope = Type.Object({ shop: ActiveShopSchema });

/** A shop in the user's list (the shop switcher): where they belong and as what. */
export const ShopListingSchema = Type.Object({ id: Type.String({ format: 'uuid' }), name: Type.String(), role: ShopRoleSchema });

/** What "who am I" adds about shops: the active one (null for an admin or without one) and every membership. */
export const SessionShopsSchema = {
  shop: Nullable(ActiveShopSchema, 'The active shop, with your role there; null for an administrator or without one.'),
  shops: Type.Array(ShopListingSchema, { description: 'Every shop you belong to (empty for an administrator: memberships lie dormant).' }),
};

/** GET/PATCH /api/shop: the active shop's settings. */
export const ShopSettingsSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  currency: Type.String({ description: 'ISO 4217 code; amounts are integer minor units of it.' }),
  timezone: Type.String({ description: "IANA time zone: the daily totals bucket by the shop's day." }),
  requireMfa: Type.Boolean({ description: 'Members without a second factor get 403 `mfa_required` on this shop.' }),
  createdAt: Time,
});
export const ShopSettingsEnvelope = Type.Object({ shop: ShopSettingsSchema });

/** A member of the active shop (GET /api/shop/members, PATCH /api/shop/members/:userId). */
export const MemberSchema = Type.Object({
  userId: Type.String({ format: 'uuid' }),
  username: Type.String(),
  role: ShopRoleSchema,
  joinedAt: Time,
  mfa: Type.Boolean({ description: 'Has a confirmed second factor.' }),
});
export const MemberList = Type.Object({ members: Type.Array(MemberSchema) });
export const MemberEnvelope = Type.Object({ member: MemberSchema });

/** GET /api/admin/shops: a shop's existence and head counts, never its stock. */
export const AdminShopSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  members: Type.Integer(),
  owners: Type.Integer(),
  createdAt: Time,
});
export const AdminShopPage = Type.Object({ shops: Type.Array(AdminShopSchema), nextCursor: NextCursor });
