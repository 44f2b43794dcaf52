import type { Queryable } from '../db/db.js';

/*
 * What makes "a currency change once any item has a price or cost → 409" (docs/api.md, v2 money) true
 * under concurrency. Prices are plain integers in the shop's currency: an item priced while the currency
 * changes would keep its amount in the old one. A check and an UPDATE alone lose the race under READ
 * COMMITTED — the change cannot see an uncommitted INSERT of a priced item, and both commit.
 *
 * So every write that gives an item a price or cost takes this shop's money lock SHARED (many such
 * writes run side by side), and a currency change takes it EXCLUSIVE, then checks, in a statement that
 * starts after the lock is granted and therefore sees every priced write that held it. Either the priced
 * write committed first (the change sees it: 409) or it waits for the change and prices in the new
 * currency. Transaction-scoped advisory locks: released at commit or rollback, nothing to clean up, and
 * callable as stockade_app (which may not lock the shops row). The key is a 64-bit hash of the shop id
 * under a namespace; a collision between two shops only makes one wait for the other.
 */

const KEY = `hashtextextended('stockade.shop-money:' || $1::text, 0)`;

/** In a transaction that writes a price or cost of one of the shop's items. */
export async function lockShopMoneyShared(tx: Queryable, shopId: string): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock_shared(${KEY})`, [shopId]);
}

/** In the transaction that changes the shop's currency, before it checks for priced items. */
export async function lockShopMoneyExclusive(tx: Queryable, shopId: string): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(${KEY})`, [shopId]);
}
