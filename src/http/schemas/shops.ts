import { Type } from 'typebox';
import { Nullable } from './common.js';

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
