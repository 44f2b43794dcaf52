import { Type } from 'typebox';

/** Requests of the shop routes (docs/api.md "Shops, members, invitations"). Content rules: shops/shops.ts. */

/** POST /api/auth/shop: a shop id (a non-uuid is answered 404 like a foreign one, by shops.ts). */
export const SwitchShopBody = Type.Object({ shopId: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });

/** POST /api/shops: the name, checked again (trimmed, no control characters) by checkShopName. */
export const NewShopBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false });
