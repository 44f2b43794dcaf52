import type { Accounts } from '../auth/accounts.js';
import type { AuditLog } from '../auth/audit.js';
import type { Pseudonyms } from '../auth/pseudonyms.js';
import type { Db } from '../db/db.js';
import { keepingAnOwner, releaseShopsOf } from '../shops/shops.js';
import type { SessionEngine } from '../sessions/engine.js';

/**
 * Erasure (GDPR Art. 17, S-66). One transaction: the audit rows lose their personal data (address,
 * device, and — through the foreign keys — the user id, replaced by a pseudonym), then the user row
 * goes, and the foreign-key cascades take its sessions and memberships with it; the shops it alone
 * belonged to are deleted first (their items, movements and idempotency records go with them). Nothing of the account is left to restore.
 *
 * The sessions are deleted explicitly, before the user row, by a statement that names them (the user row
 * locked first, so no sign-in adds one after it): after the commit the engine tells the caches and other
 * servers exactly which went (`forgetEnded`) — the Redis tier has no per-user index, so a session only
 * the cascade had removed could not be found there afterwards. Refused (409) for the last enabled
 * admin, before anything is touched.
 *
 * Returns the pseudonym the audit rows now carry, or null when the user did not exist.
 */
export interface DeleteDeps {
  db: Db;
  sessions: SessionEngine;
  accounts: Accounts;
  audit: AuditLog;
  pseudonyms: Pseudonyms;
}

export async function deleteAccount(deps: DeleteDeps, userId: string): Promise<string | null> {
  const subject = await deps.pseudonyms.of('user', userId);
  let ended: Buffer[] = [];
  const deleted = await keepingAnOwner(deps.db, async (tx) => {
    await deps.accounts.assertNotLastAdmin(tx, userId);
    // Shops it alone belongs to go too; the last owner of a shop with other members is refused (409).
    await releaseShopsOf(tx, userId);
    await deps.audit.anonymizeUser(tx, userId, subject);
    // Exclusive, like the session store's deleteUser: a sign-in holds the row shared while it writes.
    await tx.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [userId]);
    const sessions = await tx.query<{ id_hash: Uint8Array }>('DELETE FROM sessions WHERE user_id = $1 RETURNING id_hash', [userId]);
    ended = sessions.rows.map((r) => Buffer.from(r.id_hash));
    const res = await tx.query('DELETE FROM users WHERE id = $1', [userId]);
    if (res.rowCount === 0) return false;
    await deps.audit.system('account.deleted', { subject }, tx);
    return true;
  });
  if (!deleted) return null;
  await deps.sessions.forgetEnded(userId, ended);
  return subject;
}
