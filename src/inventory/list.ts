import { createHash } from 'node:crypto';
import type { Db } from '../db/db.js';
import { AppError } from '../errors.js';
import { checkLimit, decodeCursor, encodeCursor, expectCursor } from './cursor.js';
import { ITEM_COLUMNS, type ItemRow, toItem } from './rows.js';
import { inTenant, isUuid } from './tenant.js';
import { searchPageSql, searchWords } from './search.js';
import { checkText, fold } from './text.js';
import type { Item } from './types.js';

/*
 * Listing and search with keyset pagination. Each sort is a whitelisted list of (column, direction)
 * ending in the unique id, so the order is total; a page starts strictly after the previous page's last
 * key, so rows inserted or deleted meanwhile never shift it (no skipped or repeated rows, unlike
 * OFFSET). Only these names can reach ORDER BY; no client string is ever spliced into SQL.
 */

type Kind = 'text' | 'int' | 'time' | 'uuid';
interface Key {
  /** SQL expression (from this file or search.ts only; values always bound as parameters). */
  expr: string;
  /** Output column it is selected as, to read the page's last key back. */
  as: string;
  desc: boolean;
  kind: Kind;
}

const ID_ASC: Key = { expr: 'id', as: 'id', desc: false, kind: 'uuid' };
export const SORTS = {
  name: [{ expr: 'name_key', as: 'name_key', desc: false, kind: 'text' }, ID_ASC],
  sku: [{ expr: 'sku_key', as: 'sku_key', desc: false, kind: 'text' }, ID_ASC],
  quantity: [{ expr: 'quantity', as: 'quantity', desc: false, kind: 'int' }, ID_ASC],
  '-updatedAt': [
    { expr: 'updated_at', as: 'updated_at', desc: true, kind: 'time' },
    { expr: 'id', as: 'id', desc: true, kind: 'uuid' },
  ],
} as const satisfies Record<string, readonly Key[]>;
export type Sort = keyof typeof SORTS;
export const SORT_NAMES = Object.keys(SORTS) as Sort[];

export interface ListOptions {
  /** Search words (search.ts). */
  q?: string | undefined;
  /** Only items at this location (case-insensitive, whole value). */
  location?: string | undefined;
  /** Only items with this tag (case-insensitive). */
  tag?: string | undefined;
  lowStock?: boolean | undefined;
  /** true: only archived items; otherwise only active ones (docs/api.md "Shop floor"). */
  archived?: boolean | undefined;
  sort?: string | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
}

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** A cursor value must have the key's type; it is bound as a parameter, so the check is about 400 vs 500. */
function validKeyValue(kind: Kind, v: unknown): boolean {
  switch (kind) {
    case 'int':
      return typeof v === 'number' && Number.isSafeInteger(v);
    case 'uuid':
      return typeof v === 'string' && isUuid(v);
    case 'time':
      return typeof v === 'string' && ISO_MS.test(v) && !Number.isNaN(Date.parse(v));
    case 'text':
      return typeof v === 'string' && v.length <= 4000 && 'value' in checkText(v, { max: 4000, required: false });
  }
}

function keyValue(kind: Kind, v: unknown): unknown {
  return kind === 'time' ? (v instanceof Date ? v : new Date(String(v))).toISOString() : v;
}

const CAST: Record<Kind, string> = { text: 'text', int: 'bigint', time: 'timestamptz', uuid: 'uuid' };

/** `(k1, k2, …) after (v1, v2, …)` in the sort's mixed directions, as nested OR/AND. */
function keysetAfter(keys: readonly Key[], params: unknown[], values: readonly unknown[]): string {
  const placeholders = values.map((v, i) => {
    params.push(v);
    return `$${params.length}::${CAST[(keys[i] as Key).kind]}`;
  });
  const terms = keys.map((key, i) => {
    const equal = keys.slice(0, i).map((k, j) => `${k.expr} = ${placeholders[j]}`);
    return [...equal, `${key.expr} ${key.desc ? '<' : '>'} ${placeholders[i]}`].join(' AND ');
  });
  return `(${terms.map((t) => `(${t})`).join(' OR ')})`;
}

function badQuery(path: string, message: string): AppError {
  return new AppError('validation', `${path} ${message}.`, { errors: [{ path, message }] });
}

/** An optional filter value from the query string, checked like the field it filters; undefined when blank. */
function filterValue(name: 'location' | 'tag', value: string | undefined, max: number): string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const checked = checkText(value, { max, required: true });
  if ('error' in checked) throw badQuery(name, checked.error);
  return checked.value;
}

export async function listItems(db: Db, shopId: string, opts: ListOptions): Promise<{ items: Item[]; nextCursor: string | null }> {
  const limit = checkLimit(opts.limit);
  const sort = (opts.sort ?? 'name') as Sort;
  if (!SORT_NAMES.includes(sort)) throw badQuery('sort', `must be one of ${SORT_NAMES.join(', ')}`);
  let search: { raw: string; folded: string; words: string[] } | undefined;
  if (opts.q !== undefined && opts.q.trim() !== '') {
    const checked = checkText(opts.q, { max: 200, required: true });
    if ('error' in checked) throw badQuery('q', checked.error);
    const folded = fold(checked.value);
    search = { raw: checked.value, folded, words: searchWords(folded) };
  }
  const location = filterValue('location', opts.location, 100);
  const tag = filterValue('tag', opts.tag, 32);
  const lowStock = opts.lowStock === true;
  const archived = opts.archived === true;

  // Best match first, then the chosen sort: relevance is an integer (search.ts), so the keyset stays exact.
  const relevance: Key = { expr: 'relevance', as: 'relevance', desc: true, kind: 'int' };
  const keys: readonly Key[] = search === undefined ? SORTS[sort] : [relevance, ...SORTS[sort]];
  // Binds a cursor to the query it came from: reusing it with another q, sort or filter is a 400.
  const fingerprint = createHash('sha256')
    .update(JSON.stringify([sort, search?.raw ?? null, location ?? null, tag ?? null, lowStock, archived]))
    .digest('base64url')
    .slice(0, 12);
  let after: unknown[] | undefined;
  if (opts.cursor !== undefined) {
    const c = decodeCursor(opts.cursor);
    const values = c.k;
    expectCursor(
      c.t === 'i' &&
        c.f === fingerprint &&
        Array.isArray(values) &&
        values.length === keys.length &&
        keys.every((key, i) => validKeyValue(key.kind, values[i])),
    );
    after = values as unknown[];
  }

  let query: { sql: string; params: unknown[] };
  if (search !== undefined) {
    // search_items() filters, ranks and pages inside the search table (search.ts); the cursor's three
    // values were type-checked above against [relevance, sort key, id].
    query = searchPageSql(ITEM_COLUMNS, shopId, {
      words: search.words,
      folded: search.folded,
      raw: search.raw,
      location,
      tag,
      archived,
      lowStock,
      sort,
      after: after === undefined ? undefined : { relevance: after[0] as number, key: String(after[1]), id: String(after[2]) },
      rows: limit + 1,
    });
  } else {
    const params: unknown[] = [shopId];
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    const where = ['shop_id = $1', archived ? 'archived_at IS NOT NULL' : 'archived_at IS NULL'];
    if (location !== undefined) where.push(`lower(location) = lower(${param(location)})`);
    if (tag !== undefined) where.push(`EXISTS (SELECT 1 FROM unnest(tags) AS t(tag) WHERE lower(t.tag) = lower(${param(tag)}))`);
    if (lowStock) where.push('quantity <= low_stock_threshold');
    if (after !== undefined) where.push(keysetAfter(keys, params, after));
    const order = keys.map((k) => `${k.as}${k.desc ? ' DESC' : ''}`).join(', ');
    query = {
      sql: `SELECT ${ITEM_COLUMNS}, sku_key, name_key FROM items
        WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ${param(limit + 1)}`,
      params,
    };
  }
  const res = await inTenant(db, shopId, (tx) => tx.query<ItemRow & Record<string, unknown>>(query.sql, query.params));
  const page = res.rows.slice(0, limit);
  const last = page[page.length - 1];
  const nextCursor =
    res.rows.length > limit && last ? encodeCursor({ t: 'i', f: fingerprint, k: keys.map((k) => keyValue(k.kind, last[k.as])) }) : null;
  return { items: page.map(toItem), nextCursor };
}
