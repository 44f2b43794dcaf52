import { type Static, Type } from 'typebox';
import { LimitParam, Query, StringEnum } from './common.js';

/** Requests of the shop routes (docs/api.md "Shops, members, invitations"). Content rules: shops/shops.ts. */

/** POST /api/auth/shop: a shop id (a non-uuid is answered 404 like a foreign one, by shops.ts). */
export const SwitchShopBody = Type.Object({ shopId: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });

/** POST /api/shops: the name, checked again (trimmed, no control characters) by checkShopName. */
export const NewShopBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false });

/** PATCH /api/shop: at least one setting; currency and time zone checked against Intl by shops/settings.ts. */
export const ShopPatchBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    currency: Type.Optional(Type.String({ minLength: 1, maxLength: 8 })),
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    requireMfa: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type ShopPatchBody = Static<typeof ShopPatchBody>;

/** `:userId` of a member (a non-uuid is answered 404 like a stranger, by shops/members.ts). */
export const MemberParams = Type.Object({ userId: Type.String({ maxLength: 64 }) });

/** PATCH /api/shop/members/:userId. */
export const MemberPatchBody = Type.Object({ role: StringEnum(['owner', 'manager', 'clerk', 'viewer']) }, { additionalProperties: false });

/** GET /api/admin/shops. */
export const AdminShopsQuery = Query({ cursor: Type.String({ maxLength: 200 }), limit: LimitParam(4) });
