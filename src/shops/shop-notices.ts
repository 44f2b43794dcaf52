import type { Notice, RevocationBus, ShopChangeReason } from '../sessions/bus/bus.js';

/*
 * Tells the affected members' open tabs that their standing in a shop changed (`shop.changed` on the
 * bus; sessions/events.ts passes it to each of that user's event streams on every server). Called after
 * the change committed: a notice must never announce what a rollback undid. Nothing depends on it for
 * security — the role is read per request (membership.ts), so the change already bites on the member's
 * next request — it only spares the tab from acting on a stale screen. A bus that cannot send is
 * therefore logged by the caller's error path, not retried here; the bus retries itself.
 */

export interface NoticeRoutes {
  readonly bus: RevocationBus | undefined;
  /** This server's streams, told directly when there is no bus (a single server without one). */
  readonly local: (n: Notice) => void;
}

export async function tellMembers(to: NoticeRoutes, shopId: string, userIds: readonly string[], reason: ShopChangeReason): Promise<void> {
  const notices: Notice[] = userIds.map((userId) => ({ kind: 'shop.changed', shopId, userId, reason }));
  // The bus carries a notice to every server, this one included.
  if (to.bus) await Promise.all(notices.map((n) => to.bus?.announce(n)));
  else for (const n of notices) to.local(n);
}
