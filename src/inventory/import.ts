import type { Db, Queryable } from '../db/db.js';
import { AppError, type FieldError } from '../errors.js';
import type { ColumnMapping } from './csv-columns.js';
import { type ImportRow, type ParsedImport, refuseIfErrors } from './csv-import.js';
import { parseImportOffLoop } from './csv-parse-off-loop.js';
import { type ItemFieldName, stockValueError } from './fields.js';
import { idempotent } from './idempotency.js';
import { BATCH, type BatchSize, batches, rowChars, yieldToLoop } from './import-batches.js';
import { type ImportRecord, recordImport } from './import-record.js';
import { columnsOf, insertLedger, TAGS_FROM_JSON, UNNEST_ARGS, UNNEST_COLUMNS } from './item-bulk.js';
import { ITEM_COLUMNS, type ItemRow, toItem } from './rows.js';
import { inTenant, isUniqueViolation } from './tenant.js';
import { lockShopMoneyShared } from '../shops/money-lock.js';
import type { Item, ItemFields, Outcome, WriteContext } from './types.js';

/*
 * CSV import, phase two: all rows in one tenant transaction, in set-based statements (unnest of
 * parameter arrays) of a few rows each (BATCH below), so no single
 * statement holds the event loop (S-88); a failure anywhere rolls back every batch. Existing items of this merchant are
 * matched by SKU key and locked (FOR UPDATE) before anything is computed, so a concurrent adjustment
 * waits and then applies on top: no stock change is lost. A changed quantity is never overwritten
 * silently: it becomes a ledger row of reason `import` with the difference.
 * Another merchant's SKUs are invisible here (RLS and the WHERE): importing one creates the importer's
 * own item.
 */

/** The item after applying the row's present columns; quantity only if the file gave one. */
function merged(current: ItemFields, row: ImportRow, columns: ItemFieldName[]): ItemFields {
  const out: ItemFields = { ...current };
  for (const column of columns) {
    if (column === 'quantity' && !row.quantityGiven) continue;
    (out as unknown as Record<string, unknown>)[column] = row.fields[column];
  }
  return out;
}

function differs(a: ItemFields, b: ItemFields): boolean {
  return (Object.keys(b) as (keyof ItemFields)[]).some((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}

/** One field an import changes on an existing item (a dry run lists them). */
export interface FieldChange {
  row: number;
  sku: string;
  field: ItemFieldName;
  from: FieldValue;
  to: FieldValue;
}

/** The value of one writable item field. */
type FieldValue = ItemFields[ItemFieldName];

interface PlannedUpdate {
  id: string;
  row: number;
  sku: string;
  before: ItemFields;
  fields: ItemFields;
}

/** What an import would do, computed from the rows and the items as they are now. */
interface Plan {
  creates: ImportRow[];
  updates: PlannedUpdate[];
  unchanged: number;
  errors: FieldError[];
}

/** Reads the items the rows name (locked FOR UPDATE when about to write) and sorts rows into creates and updates. */
async function plan(
  tx: Queryable,
  max: BatchSize,
  shopId: string,
  rows: ImportRow[],
  columns: ItemFieldName[],
  lock: boolean,
): Promise<Plan> {
  // Prices and costs are in the shop's currency: not while it changes (shops/money-lock.ts).
  if (lock && (columns.includes('priceCents') || columns.includes('costCents'))) await lockShopMoneyShared(tx, shopId);
  const existing = new Map<string, Item>();
  for (const batch of batches(rows, max, (r) => r.skuKey.length + 64)) {
    const found = await tx.query<ItemRow & { sku_key: string }>(
      `SELECT ${ITEM_COLUMNS}, sku_key FROM items WHERE shop_id = $1 AND sku_key = ANY($2::text[]) ${lock ? 'FOR UPDATE' : ''}`,
      [shopId, batch.map((r) => r.skuKey)],
    );
    for (const row of found.rows) existing.set(row.sku_key, toItem(row));
    await yieldToLoop();
  }
  const creates = rows.filter((r) => !existing.has(r.skuKey));
  const updates: PlannedUpdate[] = [];
  const errors: FieldError[] = [];
  let unchanged = 0;
  for (const [i, row] of rows.entries()) {
    if (i % 500 === 499) await yieldToLoop();
    const current = existing.get(row.skuKey);
    if (!current) continue;
    const { id, version: _v, createdAt: _c, updatedAt: _u, archivedAt: _a, ...before } = current;
    const next = merged(before, row, columns);
    // A row may set a price on an item whose stock it leaves alone: the bound is on the merged item.
    const tooValuable = stockValueError(next, `rows/${row.row}/`);
    if (tooValuable) errors.push(tooValuable);
    else if (differs(before, next)) updates.push({ id, row: row.row, sku: current.sku, before, fields: next });
    else unchanged += 1;
  }
  return { creates, updates, unchanged, errors };
}

/** Field by field, what each planned update changes. */
function changesOf(updates: PlannedUpdate[], limit: number): FieldChange[] {
  const out: FieldChange[] = [];
  for (const u of updates) {
    for (const field of Object.keys(u.fields) as ItemFieldName[]) {
      if (JSON.stringify(u.before[field]) === JSON.stringify(u.fields[field])) continue;
      if (out.length >= limit) return out;
      out.push({ row: u.row, sku: u.sku, field, from: u.before[field], to: u.fields[field] });
    }
  }
  return out;
}

/** Writes a plan: inserts, updates, the ledger rows for every quantity change, and the import's record. */
async function writePlan(tx: Queryable, max: BatchSize, shopId: string, by: string, planned: Plan): Promise<ImportRecord> {
  const { creates, updates } = planned;
  const record: ImportRecord = { created: [], updated: [] };
  for (const batch of batches(creates, max, (r) => rowChars(r.fields))) {
    const inserted = await tx.query<{ id: string; quantity: number; sku: string; version: number }>(
      `INSERT INTO items (shop_id, ${UNNEST_COLUMNS})
       SELECT $1, r.sku, r.sku_key, r.name, r.name_key, r.description, r.quantity, r.unit, r.price_cents,
              r.cost_cents, r.low_stock_threshold, r.location, ${TAGS_FROM_JSON}, r.barcode
       FROM unnest(${UNNEST_ARGS(2)}) AS r(${UNNEST_COLUMNS})
       RETURNING id, quantity, sku, version`,
      [shopId, ...columnsOf(batch)],
    );
    await yieldToLoop();
    await insertLedger(
      tx,
      shopId,
      by,
      inserted.rows.filter((r) => r.quantity > 0).map((r) => ({ itemId: r.id, delta: r.quantity, after: r.quantity })),
    );
    // RETURNING follows the SELECT's order for a plain INSERT … SELECT, but match by SKU anyway.
    const bySku = new Map(batch.map((r) => [r.fields.sku, r.fields]));
    for (const r of inserted.rows) {
      record.created.push({ itemId: r.id, sku: r.sku, before: null, after: bySku.get(r.sku) as ItemFields, versionAfter: r.version });
    }
    await yieldToLoop();
  }
  for (const batch of batches(updates, max, (u) => rowChars(u.fields))) {
    const written = await tx.query<{ id: string; version: number }>(
      `UPDATE items AS i SET sku = r.sku, sku_key = r.sku_key, name = r.name, name_key = r.name_key,
         description = r.description, quantity = r.quantity, unit = r.unit, price_cents = r.price_cents,
         cost_cents = r.cost_cents, low_stock_threshold = r.low_stock_threshold, location = r.location,
         tags = ${TAGS_FROM_JSON}, barcode = r.barcode, version = i.version + 1, updated_at = date_trunc('milliseconds', now())
       FROM unnest($2::uuid[], ${UNNEST_ARGS(3)}) AS r(id, ${UNNEST_COLUMNS})
       WHERE i.shop_id = $1 AND i.id = r.id
       RETURNING i.id, i.version`,
      [shopId, batch.map((u) => u.id), ...columnsOf(batch)],
    );
    await yieldToLoop();
    await insertLedger(
      tx,
      shopId,
      by,
      batch
        .filter((u) => u.fields.quantity !== u.before.quantity)
        .map((u) => ({ itemId: u.id, delta: u.fields.quantity - u.before.quantity, after: u.fields.quantity })),
    );
    const versions = new Map(written.rows.map((r) => [r.id, r.version]));
    for (const u of batch) {
      record.updated.push({
        itemId: u.id,
        sku: u.fields.sku,
        before: u.before,
        after: u.fields,
        versionAfter: versions.get(u.id) as number,
      });
    }
    await yieldToLoop();
  }
  return record;
}

/*
 * One import at a time per shop. This server: a set of shops whose import is between parse and
 * commit (one per app, passed in by the route), so a second one is refused before it costs a worker. Across servers: a transaction-level
 * advisory lock taken first thing in the write transaction (released by COMMIT, ROLLBACK or a dropped
 * connection, so a crash cannot leave it held). Two servers may both parse, but only one writes; the
 * other answers 409 like a second import on the same server. The lock key is (IMPORT_LOCK, hash of the
 * shop id): a hash collision between two shops can only refuse an import with 409, never mix data.
 */
/** For callers that pass no set of their own (tests, scripts): one per process. */
const importingHere = new Set<string>();
const IMPORT_LOCK = 0x53_54_4b_49; // "STKI"

function importRunning(): AppError {
  return new AppError('conflict', 'Another import is running for this account; wait for it to finish, then retry.', {
    retryAfter: 5,
  });
}

export interface ImportContext extends WriteContext {
  /**
   * An Idempotency-Key whose request hash is computed from the decoded body on the worker (hashing 20 MB
   * here would stall the loop); the ticket is then { key, that hash }. Instead of `idempotency`.
   */
  keyed?: { key: string; method: string; path: string } | undefined;
  /** The shop's currency: what `Price` and `Cost` cells are written in. */
  currency: string;
  /** The column mapping sent with the import (csv-columns.ts). */
  mapping?: ColumnMapping | undefined;
}

export interface ImportResult {
  importId: string;
  created: number;
  updated: number;
}

export interface DryRun {
  created: number;
  updated: number;
  unchanged: number;
  changes: FieldChange[];
  /** The rows that would create an item. */
  newItems: { row: number; sku: string; name: string }[];
  unknownColumns: string[];
  errors: FieldError[];
  /** More changes or new items than the lists hold (the counts are complete). */
  truncated: boolean;
}

/** A dry run lists at most this many changes and new items: the preview of a 10,000-row file stays small. */
export const PREVIEW_LIMIT = 1000;

/** Runs `fn` as this shop's one import on this server (409 if another is running here). */
async function asOnlyImport<T>(shopId: string, importing: Set<string>, fn: () => Promise<T>): Promise<T> {
  if (importing.has(shopId)) throw importRunning();
  importing.add(shopId);
  try {
    return await fn();
  } finally {
    importing.delete(shopId);
  }
}

function parse(csv: string | Uint8Array, ctx: ImportContext): ReturnType<typeof parseImportOffLoop> {
  return parseImportOffLoop({
    csv,
    currency: ctx.currency,
    ...(ctx.mapping ? { mapping: [...ctx.mapping.entries()] } : {}),
    ...(ctx.keyed ? { hashFor: { method: ctx.keyed.method, path: ctx.keyed.path } } : {}),
  });
}

/**
 * What importing this CSV would do, with nothing written: counts, each changed field (from, to), the
 * new items, the columns nobody could place and every problem. The file's problems are part of the
 * answer (200), not a refusal; only an unreadable file is a 422. Items are read, not locked: the import
 * itself computes everything again.
 */
export async function dryRunImport(
  db: Db,
  shopId: string,
  csv: string | Uint8Array,
  ctx: ImportContext,
  importing: Set<string> = importingHere,
): Promise<DryRun> {
  return asOnlyImport(shopId, importing, async () => {
    const { parsed } = await parse(csv, ctx);
    const planned = await inTenant(db, shopId, (tx) => plan(tx, BATCH[db.kind], shopId, parsed.rows, parsed.columns, false));
    const changes = changesOf(planned.updates, PREVIEW_LIMIT + 1);
    const newItems = planned.creates.slice(0, PREVIEW_LIMIT + 1).map((r) => ({ row: r.row, sku: r.fields.sku, name: r.fields.name }));
    return {
      created: planned.creates.length,
      updated: planned.updates.length,
      unchanged: planned.unchanged,
      changes: changes.slice(0, PREVIEW_LIMIT),
      newItems: newItems.slice(0, PREVIEW_LIMIT),
      unknownColumns: parsed.unknownColumns,
      errors: [...parsed.errors, ...planned.errors].slice(0, 100),
      truncated: changes.length > PREVIEW_LIMIT || newItems.length > PREVIEW_LIMIT,
    };
  });
}

/**
 * Imports a CSV: validates every row off the event loop (422 with row errors, nothing written), then
 * creates new SKUs and updates existing ones in one transaction, and records what it did (import-record.ts)
 * so it can be undone. `updated` counts items that actually changed, so importing an unmodified export
 * answers {created: 0, updated: 0}. A second import of the same shop while one runs → 409 `conflict`
 * (Retry-After: 5).
 */
export async function importCsv(
  db: Db,
  shopId: string,
  csv: string | Uint8Array,
  ctx: ImportContext,
  importing: Set<string> = importingHere,
): Promise<Outcome<ImportResult>> {
  return asOnlyImport(shopId, importing, async () => {
    const { parsed, requestHash } = await parse(csv, ctx);
    refuseIfErrors(parsed);
    const ticket = ctx.keyed && requestHash ? { key: ctx.keyed.key, requestHash } : ctx.idempotency;
    return await inTenant(db, shopId, async (tx) => {
      const lock = await tx.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1::int, hashtext($2)) AS ok', [IMPORT_LOCK, shopId]);
      if (lock.rows[0]?.ok !== true) throw importRunning();
      return idempotent(tx, shopId, ticket, async () => {
        try {
          return await write(tx, db.kind, shopId, ctx.by, parsed);
        } catch (err) {
          // Another request created one of these SKUs between our lookup and our insert.
          if (isUniqueViolation(err, 'items_shop_sku_key')) {
            throw new AppError('conflict', 'Items were changed while importing; retry the import.');
          }
          // The file gives an item a barcode another item of the shop has (the file itself cannot repeat
          // one: csv-import.ts refuses that with the row).
          if (isUniqueViolation(err, 'items_shop_barcode_key')) {
            throw new AppError('conflict', 'A barcode in the file already belongs to another item; nothing was imported.', {
              errors: [{ path: 'barcode', message: 'already exists' }],
            });
          }
          throw err;
        }
      });
    });
  });
}

async function write(tx: Queryable, kind: Db['kind'], shopId: string, by: string, parsed: ParsedImport): Promise<ImportResult> {
  const planned = await plan(tx, BATCH[kind], shopId, parsed.rows, parsed.columns, true);
  refuseIfErrors(planned);
  const record = await writePlan(tx, BATCH[kind], shopId, by, planned);
  const importId = await recordImport(tx, BATCH[kind], shopId, by, record);
  return { importId, created: record.created.length, updated: record.updated.length };
}
