import type { Item, Summary } from './types.js';

/*
 * Cost fields below manager (docs/api.md "Shops, members, invitations": viewers and clerks see items
 * without cost, the summary without stock value, the CSV export without cost). Applied to what a route
 * sends, after the repository answered — so an idempotent replay stored by a manager's request is
 * filtered for the clerk who replays it too.
 */

export const itemWithoutCost = (item: Item): Item => (item.costCents === null ? item : { ...item, costCents: null });

/** `{item, …}` / `{items: […], …}` answers with every item's cost hidden; other fields untouched. */
export function withoutCost<T extends { item?: Item; items?: Item[] }>(body: T): T {
  return {
    ...body,
    ...(body.item ? { item: itemWithoutCost(body.item) } : {}),
    ...(body.items ? { items: body.items.map(itemWithoutCost) } : {}),
  };
}

/** Stock value is valued at cost: hidden with it. */
export const summaryWithoutValue = (summary: Summary): Summary => ({ ...summary, stockValueCents: null });
