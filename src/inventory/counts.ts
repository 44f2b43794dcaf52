import type { Db, Queryable } from '../db/db.js';
import { AppError, notFound, validation } from '../errors.js';
import { checkLimit, decodeCursor, encodeCursor, expectCursor } from './cursor.js';
import { LIMITS } from './fields.js';
import { toInt, toIso } from './rows.js';
import { assertItemId, inTenant, isUuid } from './tenant.js';
import { checkText } from './text.js';

/*
 * Stock counts (docs/api.md "Shop floor"). A count is started over the shop's active items (all, or one
 * location, or one tag) and snapshots their quantities (`expected`). Clerks enter what is on the shelf
 * (`counted`, absolute), several at once, a later entry replacing an earlier one. The commit turns each
 * counted line into one `count` movement in one transaction; uncounted lines and archived items are
 * left alone. How it stays right under concurrency:
 *
 * - One open count per item: a partial unique index on the open lines (migration 017). Two counts
 *   started at once over one item: the second insert waits for the first transaction and then sees the
 *   conflict (ON CONFLICT DO NOTHING), and the start is refused with 409 naming the other count.
 * - Sales during a count: a line remembers the item's quantity at the moment it was counted
 *   (`on_hand_at_count`, read under the item's row lock, so no adjustment is half-way). At commit the
 *   item becomes counted + (quantity now − on_hand_at_count): the count plus every movement recorded
 *   after it was counted, without comparing timestamps.
 * - Commit, abandon and entries take turns on the count's row: commit and abandon are conditional
 *   updates of an open count (the second of two concurrent commits finds it committed: 409), and an
 *   entry holds a share lock on the count row, so no entry lands after the commit read the lines.
 */

export type CountStatus = 'open' | 'committed' | 'abandoned';

export interface Count {
  id: string;
  name: string;
  location: string | null;
  tag: string | null;
  status: CountStatus;
  createdAt: string;
  createdBy: string | null;
  closedAt: string | null;
  closedBy: string | null;
  /** Items in the count, and how many of them have been counted. */
  lines: number;
  countedLines: number;
}

export interface CountLine {
  itemId: string;
  sku: string;
  name: string;
  /** The item is archived now: the commit leaves it alone. */
  archived: boolean;
  /** The item's quantity when the count started. */
  expected: number;
  counted: number | null;
  countedAt: string | null;
  countedBy: string | null;
  /** The item's quantity when the line was counted; the variance is measured against it. */
  onHandWhenCounted: number | null;
  varianceUnits: number | null;
  /** varianceUnits × cost (price where no cost); null below manager or while uncounted. */
  varianceValueCents: number | null;
}

/** Sums over every line of a count, whichever page of its lines is shown. */
export interface CountTotals {
  expected: number;
  counted: number;
  varianceUnits: number;
  /** null below manager. */
  varianceValueCents: number | null;
}

export interface CountPage {
  count: Count;
  lines: CountLine[];
  totals: CountTotals;
  nextCursor: string | null;
}

export interface CommitResult {
  adjusted: number;
  varianceUnits: number;
  varianceValueCents: number | null;
}

const NAME = { max: 100, required: true } as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function noSuchCount(): AppError {
  return notFound('No such count.');
}

/** A count id from a URL: anything but a uuid is answered like an unknown count (404). */
function assertCountId(id: string): void {
  if (!isUuid(id)) throw noSuchCount();
}

function closed(status: string): AppError {
  return new AppError('conflict', `The count is ${status}; it can no longer change.`);
}

interface CountRow {
  id: string;
  name: string;
  location: string | null;
  tag: string | null;
  status: CountStatus;
  created_at: Date | string;
  created_by: string | null;
  closed_at: Date | string | null;
  closed_by: string | null;
  lines: number | string;
  counted_lines: number | string;
}

const COUNT_SELECT = `SELECT c.id, c.name, c.location, c.tag, c.status, c.created_at, c.created_by, c.closed_at, c.closed_by,
    (SELECT count(*) FROM count_lines l WHERE l.shop_id = c.shop_id AND l.count_id = c.id) AS lines,
    (SELECT count(*) FROM count_lines l WHERE l.shop_id = c.shop_id AND l.count_id = c.id AND l.counted IS NOT NULL) AS counted_lines
  FROM counts c`;

function toCount(row: CountRow): Count {
  return {
    id: row.id,
    name: row.name,
    location: row.location,
    tag: row.tag,
    status: row.status,
    createdAt: toIso(row.created_at),
    createdBy: row.created_by,
    closedAt: row.closed_at === null ? null : toIso(row.closed_at),
    closedBy: row.closed_by,
    lines: toInt(row.lines),
    countedLines: toInt(row.counted_lines),
  };
}

async function readCount(tx: Queryable, shopId: string, id: string): Promise<Count | undefined> {
  const res = await tx.query<CountRow>(`${COUNT_SELECT} WHERE c.shop_id = $1 AND c.id = $2`, [shopId, id]);
  const row = res.rows[0];
  return row ? toCount(row) : undefined;
}

interface StartInput {
  name: string | null;
  location: string | null;
  tag: string | null;
}

function checkStart(input: unknown): StartInput {
  if (!isRecord(input)) throw validation([{ path: '/', message: 'must be an object' }]);
  const errors: { path: string; message: string }[] = [];
  const out: StartInput = { name: null, location: null, tag: null };
  for (const key of Object.keys(input))
    if (!['name', 'location', 'tag'].includes(key)) errors.push({ path: key, message: 'is not a known field' });
  for (const [field, max] of [
    ['name', NAME.max],
    ['location', 100],
    ['tag', 32],
  ] as const) {
    const value = input[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') {
      errors.push({ path: field, message: 'must be a string' });
      continue;
    }
    const checked = checkText(value, { max, required: false, identifier: field === 'tag' });
    if ('error' in checked) errors.push({ path: field, message: checked.error });
    else if (checked.value !== '') out[field] = checked.value;
  }
  if (errors.length > 0) throw validation(errors);
  return out;
}

/**
 * Starts a count over the shop's active items matching the filters (location and tag compare
 * case-insensitively, whole value). 409 naming the other count (`countId`, `countName`) if any matching
 * item is already in an open count; 400 if nothing matches.
 */
export async function startCount(db: Db, shopId: string, input: unknown, by: string): Promise<Count> {
  const start = checkStart(input);
  const name = start.name ?? `Count ${[start.location, start.tag ? `#${start.tag}` : null].filter(Boolean).join(' ') || 'of all items'}`;
  return inTenant(db, shopId, async (tx) => {
    const created = await tx.query<{ id: string }>(
      `INSERT INTO counts (shop_id, name, location, tag, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [shopId, name.slice(0, NAME.max), start.location, start.tag, by],
    );
    const countId = (created.rows[0] as { id: string }).id;
    const matching = `SELECT id, quantity FROM items
       WHERE shop_id = $1 AND archived_at IS NULL
         AND ($3::text IS NULL OR lower(location) = lower($3))
         AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM unnest(tags) AS t(tag) WHERE lower(t.tag) = lower($4)))`;
    const res = await tx.query<{ matching: number | string; inserted: number | string }>(
      `WITH matching AS (${matching}),
            inserted AS (
              INSERT INTO count_lines (shop_id, count_id, item_id, expected)
              SELECT $1, $2, id, quantity FROM matching
              ON CONFLICT (shop_id, item_id) WHERE open DO NOTHING
              RETURNING item_id)
       SELECT (SELECT count(*) FROM matching) AS matching, (SELECT count(*) FROM inserted) AS inserted`,
      [shopId, countId, start.location, start.tag],
    );
    const { matching: m, inserted } = res.rows[0] as { matching: number | string; inserted: number | string };
    if (toInt(m) === 0) {
      throw validation(
        [{ path: start.tag ? 'tag' : start.location ? 'location' : '/', message: 'matches no active item' }],
        'No item to count.',
      );
    }
    if (toInt(inserted) < toInt(m)) {
      // Some matching item is in another open count (committed before us, or racing us and first).
      const other = await tx.query<{ id: string; name: string }>(
        `SELECT c.id, c.name FROM count_lines l JOIN counts c ON c.shop_id = l.shop_id AND c.id = l.count_id
         WHERE l.shop_id = $1 AND l.open AND l.count_id <> $2 AND l.item_id IN (SELECT id FROM (${matching}) AS m)
         LIMIT 1`,
        [shopId, countId, start.location, start.tag],
      );
      const blocking = other.rows[0];
      throw new AppError('conflict', `Some of these items are already in the open count "${blocking?.name ?? 'another count'}".`, {
        extra: { countId: blocking?.id ?? null, countName: blocking?.name ?? null },
      });
    }
    return (await readCount(tx, shopId, countId)) as Count;
  });
}

/** The shop's counts, newest first (the latest 200). */
export async function listCounts(db: Db, shopId: string): Promise<Count[]> {
  const res = await inTenant(db, shopId, (tx) =>
    tx.query<CountRow>(`${COUNT_SELECT} WHERE c.shop_id = $1 ORDER BY c.created_at DESC, c.id DESC LIMIT 200`, [shopId]),
  );
  return res.rows.map(toCount);
}

interface LineRow {
  item_id: string;
  sku: string;
  name: string;
  archived: boolean;
  expected: number;
  counted: number | null;
  counted_at: Date | string | null;
  counted_by: string | null;
  on_hand_at_count: number | null;
  unit_value: number | string | null;
}

const LINE_SELECT = `SELECT l.item_id, i.sku, i.name, i.archived_at IS NOT NULL AS archived, l.expected, l.counted, l.counted_at,
    l.counted_by, l.on_hand_at_count, coalesce(i.cost_cents, i.price_cents, 0) AS unit_value
  FROM count_lines l JOIN items i ON i.shop_id = l.shop_id AND i.id = l.item_id`;

function toLine(row: LineRow, seesValue: boolean): CountLine {
  const variance = row.counted === null || row.on_hand_at_count === null ? null : row.counted - row.on_hand_at_count;
  return {
    itemId: row.item_id,
    sku: row.sku,
    name: row.name,
    archived: row.archived,
    expected: row.expected,
    counted: row.counted,
    countedAt: row.counted_at === null ? null : toIso(row.counted_at),
    countedBy: row.counted_by,
    onHandWhenCounted: row.on_hand_at_count,
    varianceUnits: variance,
    varianceValueCents: variance === null || !seesValue ? null : variance * toInt(row.unit_value ?? 0),
  };
}

/*
 * Paging a count's lines (GET /api/counts/:id?cursor&limit): keyset on (item name key, item id), the
 * order the screen shows, like the other lists (docs/api.md). The cursor carries the count's id and the
 * last line's position — sort keys of the merchant's own rows (cursor.ts) — so it is refused (400) with
 * another count, and an entry or an edit between two pages moves no line across them: a renamed item
 * may be seen twice or not at all, never the rest. The totals are sums over all lines, read in the same
 * transaction as the page, so the screen's summary never depends on how many pages it loaded.
 */

interface LinePosition {
  nameKey: string;
  itemId: string;
}

function readPosition(cursor: string, countId: string): LinePosition {
  const c = decodeCursor(cursor);
  // The key is bound as a parameter: one PostgreSQL cannot take (a NUL) would be a 500, not the 400 it is.
  // Same bound and check as the item list's text keys (list.ts).
  const key = c.k;
  const keyOk = typeof key === 'string' && key.length <= 4000 && 'value' in checkText(key, { max: 4000, required: false });
  expectCursor(c.t === 'cl' && c.c === countId && keyOk && typeof c.id === 'string' && isUuid(c.id));
  return { nameKey: c.k as string, itemId: c.id as string };
}

interface TotalsRow {
  expected: number | string;
  counted: number | string;
  variance: number | string;
  value: number | string;
}

/** A count, one page of its lines (by item name) and the totals over all of them. `seesValue`: manager and above see the variance's value. */
export async function getCount(
  db: Db,
  shopId: string,
  id: string,
  seesValue: boolean,
  page: { cursor?: string | undefined; limit?: number | undefined } = {},
): Promise<CountPage> {
  assertCountId(id);
  const countId = id.toLowerCase();
  const limit = checkLimit(page.limit);
  const after = page.cursor === undefined ? null : readPosition(page.cursor, countId);
  return inTenant(db, shopId, async (tx) => {
    const count = await readCount(tx, shopId, countId);
    if (!count) throw noSuchCount();
    const res = await tx.query<LineRow & { name_key: string }>(
      `${LINE_SELECT.replace('SELECT ', 'SELECT i.name_key, ')}
       WHERE l.shop_id = $1 AND l.count_id = $2 AND ($3::text IS NULL OR (i.name_key, i.id) > ($3::text, $4::uuid))
       ORDER BY i.name_key, i.id LIMIT $5`,
      [shopId, countId, after?.nameKey ?? null, after?.itemId ?? null, limit + 1],
    );
    const rows = res.rows.slice(0, limit);
    const last = rows[rows.length - 1];
    const sums = await tx.query<TotalsRow>(
      `SELECT coalesce(sum(l.expected), 0)::text AS expected, coalesce(sum(l.counted), 0)::text AS counted,
              coalesce(sum(l.counted - l.on_hand_at_count), 0)::text AS variance,
              coalesce(sum((l.counted - l.on_hand_at_count)::numeric * coalesce(i.cost_cents, i.price_cents, 0)), 0)::text AS value
       FROM count_lines l JOIN items i ON i.shop_id = l.shop_id AND i.id = l.item_id
       WHERE l.shop_id = $1 AND l.count_id = $2`,
      [shopId, countId],
    );
    const t = sums.rows[0] as TotalsRow;
    return {
      count,
      lines: rows.map((r) => toLine(r, seesValue)),
      totals: {
        expected: toInt(t.expected),
        counted: toInt(t.counted),
        varianceUnits: toInt(t.variance),
        varianceValueCents: seesValue ? toInt(t.value) : null,
      },
      nextCursor: res.rows.length > limit && last ? encodeCursor({ t: 'cl', c: countId, k: last.name_key, id: last.item_id }) : null,
    };
  });
}

/** Enters (or replaces) the shelf count of one item. 404 for an unknown count or an item not in it; 409 once the count is closed. */
export async function enterCountLine(
  db: Db,
  shopId: string,
  countId: string,
  itemId: string,
  input: unknown,
  by: string,
  seesValue: boolean,
): Promise<CountLine> {
  assertCountId(countId);
  assertItemId(itemId);
  const counted = isRecord(input) ? input.counted : undefined;
  const unknown = isRecord(input) ? Object.keys(input).filter((k) => k !== 'counted') : [];
  if (
    !isRecord(input) ||
    typeof counted !== 'number' ||
    !Number.isSafeInteger(counted) ||
    counted < 0 ||
    counted > LIMITS.quantity ||
    unknown.length > 0
  ) {
    throw validation(
      unknown.length > 0
        ? unknown.map((k) => ({ path: k, message: 'is not a known field' }))
        : [{ path: 'counted', message: `must be an integer from 0 to ${LIMITS.quantity}` }],
    );
  }
  return inTenant(db, shopId, async (tx) => {
    // Share lock: entries go side by side; a commit or abandon (an UPDATE of this row) waits for them.
    const count = await tx.query<{ status: string }>('SELECT status FROM counts WHERE shop_id = $1 AND id = $2 FOR SHARE', [
      shopId,
      countId,
    ]);
    const status = count.rows[0]?.status;
    if (status === undefined) throw noSuchCount();
    if (status !== 'open') throw closed(status);
    // The quantity now, under the item's row lock: no adjustment is half-way while we read it, and none
    // can start until this entry commits.
    const item = await tx.query<{ quantity: number }>('SELECT quantity FROM items WHERE shop_id = $1 AND id = $2 FOR SHARE', [
      shopId,
      itemId,
    ]);
    const onHand = item.rows[0]?.quantity;
    if (onHand === undefined) throw notFound('No such item in this count.');
    const updated = await tx.query(
      `UPDATE count_lines SET counted = $4, counted_at = date_trunc('milliseconds', clock_timestamp()), counted_by = $5,
         on_hand_at_count = $6
       WHERE shop_id = $1 AND count_id = $2 AND item_id = $3 RETURNING item_id`,
      [shopId, countId, itemId, counted, by, onHand],
    );
    if (updated.rows.length === 0) throw notFound('No such item in this count.');
    const res = await tx.query<LineRow>(`${LINE_SELECT} WHERE l.shop_id = $1 AND l.count_id = $2 AND l.item_id = $3`, [
      shopId,
      countId,
      itemId,
    ]);
    return toLine(res.rows[0] as LineRow, seesValue);
  });
}

/** Closes an open count (commit or abandon); 404 unknown, 409 already closed. Frees its items for new counts. */
async function close(tx: Queryable, shopId: string, id: string, status: 'committed' | 'abandoned', by: string): Promise<void> {
  const res = await tx.query(
    `UPDATE counts SET status = $3, closed_at = date_trunc('milliseconds', now()), closed_by = $4
     WHERE shop_id = $1 AND id = $2 AND status = 'open' RETURNING id`,
    [shopId, id, status, by],
  );
  if (res.rows.length === 0) {
    const current = await tx.query<{ status: string }>('SELECT status FROM counts WHERE shop_id = $1 AND id = $2', [shopId, id]);
    const now = current.rows[0]?.status;
    if (now === undefined) throw noSuchCount();
    throw closed(now);
  }
  await tx.query('UPDATE count_lines SET open = false WHERE shop_id = $1 AND count_id = $2', [shopId, id]);
}

/**
 * Commits a count: every counted line of an active item moves the item by (counted − on hand when
 * counted), through one `count` movement, clamped to the stock bounds; all in one transaction.
 */
export async function commitCount(db: Db, shopId: string, id: string, by: string, seesValue: boolean): Promise<CommitResult> {
  assertCountId(id);
  return inTenant(db, shopId, async (tx) => {
    await close(tx, shopId, id, 'committed', by);
    const name = (
      (await tx.query<{ name: string }>('SELECT name FROM counts WHERE shop_id = $1 AND id = $2', [shopId, id])).rows[0] as { name: string }
    ).name;
    // The items are locked (FOR UPDATE) and read at their latest committed quantity before anything is
    // computed, so an adjustment that commits meanwhile is waited for and included, never lost.
    const moved = await tx.query<{ variance: string | number; value: string | number }>(
      `WITH target AS (
         SELECT i.id, i.quantity AS before, l.counted - l.on_hand_at_count AS variance,
                least(greatest(i.quantity + l.counted - l.on_hand_at_count, 0), $3) AS after,
                coalesce(i.cost_cents, i.price_cents, 0) AS unit_value
         FROM count_lines l JOIN items i ON i.shop_id = l.shop_id AND i.id = l.item_id
         WHERE l.shop_id = $1 AND l.count_id = $2 AND l.counted IS NOT NULL AND i.archived_at IS NULL
         FOR UPDATE OF i
       ), updated AS (
         UPDATE items i SET quantity = t.after, updated_at = date_trunc('milliseconds', now())
         FROM target t WHERE i.shop_id = $1 AND i.id = t.id AND t.after <> t.before
         RETURNING i.id, t.before, t.after
       ), ledger AS (
         INSERT INTO movements (shop_id, item_id, delta, quantity_after, reason, note, created_by)
         SELECT $1, u.id, u.after - u.before, u.after, 'count', $4, $5 FROM updated u
         RETURNING item_id
       )
       SELECT coalesce(sum(t.variance), 0)::text AS variance, coalesce(sum(t.variance::numeric * t.unit_value), 0)::text AS value,
              (SELECT count(*) FROM ledger) AS adjusted
       FROM target t`,
      [shopId, id, LIMITS.quantity, `Count: ${name}`.slice(0, 500), by],
    );
    const row = moved.rows[0] as { variance: string | number; value: string | number; adjusted?: number | string };
    return {
      adjusted: toInt(row.adjusted ?? 0),
      varianceUnits: toInt(row.variance),
      varianceValueCents: seesValue ? toInt(row.value) : null,
    };
  });
}

/** Abandons an open count: nothing changes but its status, and its items are free for a new count. */
export async function abandonCount(db: Db, shopId: string, id: string, by: string): Promise<void> {
  assertCountId(id);
  await inTenant(db, shopId, (tx) => close(tx, shopId, id, 'abandoned', by));
}
