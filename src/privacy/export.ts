import type { AuditLog } from '../auth/audit.js';
import type { Users } from '../auth/users.js';
import type { Db } from '../db/db.js';
import type { SessionEngine } from '../sessions/engine.js';

/**
 * The data export (GDPR Art. 15 and 20, S-65): everything Stockade stores about one user, as JSON.
 * Never a password hash, a session token or its hash, or a CSRF token: sessions appear by public
 * handle, like in the session list.
 *
 * Items and movements are read inside the user's tenant transaction (Db.tenant: row-level security
 * confines the reads to this merchant even if a WHERE were wrong). Columns are named one by one (no
 * SELECT *), so a column added later is a deliberate decision here, not a silent leak of internals.
 */

/** Audit rows in one export at most; the retention purge keeps far fewer for any real account. */
const MAX_EVENTS = 10_000;

/** int8 arrives as a string from node-postgres and as a number from PGlite. */
const num = (v: number | string | bigint | null): number | null => (v === null ? null : Number(v));
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
  const account = await deps.db.query<{ password_changed_at: Date }>('SELECT password_changed_at FROM users WHERE id = $1', [userId]);

  const sessions = await deps.sessions.list(userId);
  const inventory = user.role === 'merchant' ? await readInventory(deps.db, userId) : { items: [], movements: [] };
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
    },
    sessions: sessions.map((s) => ({
      id: s.id,
      createdAt: s.createdAt.toISOString(),
      lastSeenAt: s.lastSeenAt.toISOString(),
      authenticatedAt: s.authenticatedAt.toISOString(),
      idleExpiresAt: s.idleExpiresAt.toISOString(),
      absoluteExpiresAt: s.absoluteExpiresAt.toISOString(),
      remember: s.remember,
      userAgent: s.userAgent,
      ip: s.ip,
      current: s.id === currentSessionId,
    })),
    ...inventory,
    authEvents: events.map((e) => ({
      type: e.type,
      at: e.at.toISOString(),
      ip: e.ip,
      userAgent: e.userAgent,
      byAdmin: e.actorId !== null && e.actorId !== userId,
      details: e.details,
    })),
  };
}

interface ItemRow {
  id: string;
  sku: string;
  name: string;
  description: string | null;
  quantity: number;
  unit: string | null;
  price_cents: number | string | null;
  cost_cents: number | string | null;
  low_stock_threshold: number;
  location: string | null;
  tags: string[];
  version: number;
  created_at: Date;
  updated_at: Date;
}

interface MovementRow {
  id: string;
  item_id: string;
  delta: number;
  quantity_after: number;
  reason: string;
  note: string | null;
  created_by: string | null;
  created_at: Date;
}

async function readInventory(db: Db, merchantId: string) {
  return db.tenant(merchantId, async (tx) => {
    const items = await tx.query<ItemRow>(
      `SELECT id, sku, name, description, quantity, unit, price_cents, cost_cents, low_stock_threshold,
              location, tags, version, created_at, updated_at
         FROM items WHERE merchant_id = $1 ORDER BY created_at, id`,
      [merchantId],
    );
    const movements = await tx.query<MovementRow>(
      `SELECT id, item_id, delta, quantity_after, reason, note, created_by, created_at
         FROM movements WHERE merchant_id = $1 ORDER BY seq`,
      [merchantId],
    );
    return {
      items: items.rows.map((r) => ({
        id: r.id,
        sku: r.sku,
        name: r.name,
        description: r.description,
        quantity: r.quantity,
        unit: r.unit,
        priceCents: num(r.price_cents),
        costCents: num(r.cost_cents),
        lowStockThreshold: r.low_stock_threshold,
        location: r.location,
        tags: r.tags,
        version: r.version,
        createdAt: iso(r.created_at),
        updatedAt: iso(r.updated_at),
      })),
      movements: movements.rows.map((r) => ({
        id: r.id,
        itemId: r.item_id,
        delta: r.delta,
        quantityAfter: r.quantity_after,
        reason: r.reason,
        note: r.note,
        createdAt: iso(r.created_at),
        by: r.created_by,
      })),
    };
  });
}
