import { Type } from 'typebox';

/** A shop as the session sees it: the shop and the caller's role there (docs/api.md "Shops, members, invitations"). */
export const ActiveShopSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  role: Type.Union([Type.Literal('owner'), Type.Literal('manager'), Type.Literal('clerk'), Type.Literal('viewer')]),
  currency: Type.String(),
  timezone: Type.String(),
});

export const ShopEnvelope = Type.Object({ shop: ActiveShopSchema });
