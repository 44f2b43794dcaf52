import type { Notice, RevocationBus, ShopChangeReason } from '../sessions/bus/bus.js';
import type { SessionShopsCache } from './session-shops-cache.js';

/*
 * Tells the affected members' open tabs that their standing in a shop changed (`shop.changed` on the
 * bus; sessions/events.ts passes it to each of that user's event streams on every server). Called after
 * the change committed: a notice must never announce what a rollback undid. The access guard does not
 * depend on it — the role is read per request (membership.ts), so the change already bites on the
 * member's next request — but "who am I" does: its shops are remembered per server
 * (session-shops-cache.ts) and forgotten on this notice, here first, then everywhere the bus reaches.
 * A bus that cannot send is therefore logged by the caller's error path, not retried here; the bus
 * retries itself, and a server that loses the bus empties its cache on its own.
 */

export interface NoticeRoutes {
  readonly bus: RevocationBus | undefined;
  /** This server's streams, told directly when there is no bus (a single server without one). */
  readonly local: (n: Notice) => void;
  /** This server's copies of who-am-I's shops, dropped before the bus carries the notice (none: no cache). */
  readonly shopsCache?: SessionShopsCache | undefined;
}

export async function tellMembers(to: NoticeRoutes, shopId: string, userIds: readonly string[], reason: ShopChangeReason): Promise<void> {
  for (const userId of userIds) to.shopsCache?.dropUser(userId);
  const notices: Notice[] = userIds.map((userId) => ({ kind: 'shop.changed', shopId, userId, reason }));
  // The bus carries a notice to every server, this one included.
  if (to.bus) await Promise.all(notices.map((n) => to.bus?.announce(n)));
  else for (const n of notices) to.local(n);
}

/**
 * What "who am I" shows about shops changed for `userId` — or, without one, for anyone (a shop's name,
 * currency or time zone) — in a way that is no news to the tabs: an active-shop switch, a shop opened or
 * joined. Every server forgets its copies (this one at once); resolves once the bus has carried it (at
 * most its echo wait). After the change committed, like tellMembers.
 */
export async function shopsChanged(to: Pick<NoticeRoutes, 'bus' | 'shopsCache'>, userId?: string): Promise<void> {
  if (userId === undefined) to.shopsCache?.clear();
  else to.shopsCache?.dropUser(userId);
  if (to.bus) await to.bus.announce(userId === undefined ? { kind: 'session-shops' } : { kind: 'session-shops', userId });
}
