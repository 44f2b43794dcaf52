import type { AuditLog } from '../auth/audit.js';
import type { Users } from '../auth/users.js';
import type { Db } from '../db/db.js';
import { publicSession } from '../sessions/public-session.js';
import { seenBySubject } from './seen-by-subject.js';
import { usernamesOf } from '../inventory/people.js';
import { ITEM_COLUMNS, type ItemRow, MOVEMENT_COLUMNS, type MovementRow, toItem, toMovement } from '../inventory/rows.js';
import type { SessionEngine } from '../sessions/engine.js';

/**
 * The data export (GDPR Art. 15 and 20, S-65): everything Stockade stores about one user, as JSON.
 * Never a password hash, a session token or its hash, or a CSRF token: sessions appear by public
 * handle, like in the session list.
 *
 * Items and movements of the shops the user owns are read inside each shop's tenant transaction
 * (Db.tenant: row-level security confines the reads to that shop even if a WHERE were wrong). Columns are named one by one (no
 * SELECT *), so a column added later is a deliberate decision here, not a silent leak of internals.
 */

/** Audit rows in one export at most; the retention purge keeps far fewer for any real account. */
const MAX_EVENTS = 10_000;

const iso = (v: Date | string | null): string | null => (v === null ? null : new Date(v).toISOString());

export interface ExportDeps {
  db: Db;
  users: Users;
  sessions: SessionEngine;
  audit: AuditLog;
}

export async function exportAccount(deps: ExportDeps, userId: string, currentSessionId: string, now: Date) {
  const user = await deps.users.findById(userId);
  if (!user) return null;
  const account = await deps.db.query<{
    password_changed_at: Date;
    email: string | null;
    email_verified_at: Date | null;
    pending: string | null;
  }>(
    `SELECT u.password_changed_at, u.email, u.email_verified_at, v.email AS pending
       FROM users u LEFT JOIN email_verifications v ON v.user_id = u.id WHERE u.id = $1`,
    [userId],
  );
  // Devices are kept as a hash of summary and network (auth/notices.ts): their times are what there is to show.
  const devices = await deps.db.query<{ first_seen: Date; last_seen: Date }>(
    'SELECT first_seen, last_seen FROM known_devices WHERE user_id = $1 ORDER BY first_seen',
    [userId],
  );

  const sessions = await deps.sessions.list(userId);
  const inventory = await readOwnedInventory(deps.db, userId);
  const events = await deps.audit.forUser(userId, MAX_EVENTS);

  return {
    format: 'stockade-export/1',
    exportedAt: now.toISOString(),
    user: {
      id: user.id,
      username: user.username,
      role: user.role,
      disabled: user.disabled,
      createdAt: user.createdAt.toISOString(),
      lastLoginAt: iso(user.lastLoginAt),
      passwordChangedAt: iso(account.rows[0]?.password_changed_at ?? null),
      email: account.rows[0]?.email ?? null,
      emailVerifiedAt: iso(account.rows[0]?.email_verified_at ?? null),
      pendingEmail: account.rows[0]?.pending ?? null,
    },
    knownDevices: devices.rows.map((d) => ({ firstSeen: d.first_seen.toISOString(), lastSeen: d.last_seen.toISOString() })),
    sessions: sessions.map((s) => ({
      ...publicSession(s),
      remember: s.remember,
      userAgent: s.userAgent,
      ip: s.ip,
      current: s.id === currentSessionId,
    })),
    ...inventory,
    authEvents: events.map((e) => ({ ...seenBySubject(e, userId), details: e.details })),
  };
}

/**
 * The inventory of the shops the user owns (whatever their platform role: a promoted merchant's shop
 * lies dormant but is still theirs). A member's view of someone else's shop is not their data.
 */
async function readOwnedInventory(db: Db, userId: string) {
  const owned = await db.query<{ shop_id: string }>(
    `SELECT shop_id FROM memberships WHERE user_id = $1 AND role = 'owner' ORDER BY joined_at, shop_id`,
    [userId],
  );
  const out: { items: ReturnType<typeof toItem>[]; movements: ReturnType<typeof toMovement>[] } = { items: [], movements: [] };
  for (const { shop_id } of owned.rows) {
    const one = await readInventory(db, shop_id);
    out.items.push(...one.items);
    out.movements.push(...one.movements);
  }
  return out;
}

async function readInventory(db: Db, shopId: string) {
  return db
    .tenant(shopId, async (tx) => {
      const items = await tx.query<ItemRow>(
        `SELECT ${ITEM_COLUMNS}
         FROM items WHERE shop_id = $1 ORDER BY created_at, id`,
        [shopId],
      );
      const movements = await tx.query<MovementRow>(
        `SELECT ${MOVEMENT_COLUMNS}
         FROM movements WHERE shop_id = $1 ORDER BY seq`,
        [shopId],
      );
      return { items: items.rows.map(toItem), movements: movements.rows };
    })
    .then(async ({ items, movements }) => {
      // Names are looked up as the schema owner: the tenant role cannot read users (inventory/people.ts).
      const names = await usernamesOf(
        db,
        movements.map((m) => m.created_by),
      );
      return { items, movements: movements.map((m) => toMovement(m, names)) };
    });
}
