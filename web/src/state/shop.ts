import { auth } from '../api/endpoints';
import type { ActiveShop, ShopListing, ShopRole, WhoAmI } from '../api/types';
import { Store } from '../lib/store';

/**
 * Where the signed-in user works: the session's active shop (with their role there) and every shop they
 * belong to, as GET /api/auth/session last said. The server decides every request on its own fresh read
 * of the membership; this copy only decides which controls to show, so it is re-read whenever the event
 * stream says the user's standing in a shop changed (`shop.changed`) and after a switch.
 */
export interface ShopView {
  readonly shop: ActiveShop | null;
  readonly shops: ShopListing[];
}

export const shopState = new Store<ShopView | null>(null);

const RANK: Record<ShopRole, number> = { viewer: 0, clerk: 1, manager: 2, owner: 3 };

/** Whether the active shop's role is at least `min` (false without an active shop). */
export function mayAct(view: ShopView | null, min: ShopRole): boolean {
  const role = view?.shop?.role;
  return role !== undefined && RANK[role] >= RANK[min];
}

/** Takes the shop part of a who-am-I answer (sign-in answers have none: then it is read). */
export function shopsFrom(res: object): boolean {
  if (!('shops' in res)) return false;
  const who = res as WhoAmI;
  shopState.set({ shop: who.shop, shops: who.shops });
  return true;
}

/** Reads who-am-I again; a failure keeps what we had (the next request will say more). */
export async function refreshShop(): Promise<void> {
  try {
    shopsFrom(await auth.session());
  } catch {
    // Signed out meanwhile (api/client.ts handles 401) or unreachable: nothing to update.
  }
}

/** Switches the session's active shop, then reloads the page so every screen reads the new shop's data. */
export async function switchShop(shopId: string): Promise<void> {
  await auth.switchShop(shopId);
  window.location.reload();
}
