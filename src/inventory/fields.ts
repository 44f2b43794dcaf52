import type { FieldError } from '../errors.js';
import { checkText, type TextRule } from './text.js';
import {
  ADJUSTMENT_REASONS,
  type AdjustmentInput,
  type AdjustmentReason,
  type ItemFields,
  type ItemPatch,
  ItemSchema,
  SERVER_OWNED,
} from './types.js';

/*
 * Validation of item and adjustment input, shared by the JSON routes and the CSV import. It checks
 * types itself (not only the route's JSON schema), because the CSV path has no schema and because a
 * repository must not trust its caller: a value that reaches SQL has passed through here.
 */

/*
 * Amounts are bounded so that no total overflows (docs/api.md v2 conventions). The summary adds up
 * quantity × unit value (cost, else price) over every item of a merchant, and answers it as a JSON
 * integer that must stay exact in JavaScript (≤ Number.MAX_SAFE_INTEGER ≈ 9.007e15). Separate bounds on
 * quantity and price cannot promise that (1e9 units × 1e11 cents is 1e20 for one item), so the bound
 * that matters is on an item's stock value: at most 9e9 minor units (90 million in the currency), which
 * keeps the total exact for up to 1,000,000 items at that maximum — far beyond any shop we serve.
 * Beyond that the summary still answers exactly (a JSON integer written from a BigInt), only a
 * JavaScript client would round it; SQL sums in numeric, so nothing overflows on the way.
 */
export const LIMITS = {
  /** Units per item: far below int4's 2,147,483,647 so no sum of a few adjustments can overflow. */
  quantity: 1_000_000_000,
  /** One adjustment. */
  delta: 1_000_000_000,
  /** A unit price or cost in minor units: no single unit may be worth more than a whole item may. */
  cents: 9_000_000_000,
  /** An item's stock value, quantity × max(price, cost), in minor units. */
  stockValue: 9_000_000_000,
  tags: 20,
} as const;

/** The unit value the stock-value bound applies to: the larger of price and cost (the summary uses one of them). */
export function unitValue(f: Pick<ItemFields, 'priceCents' | 'costCents'>): number {
  return Math.max(f.priceCents ?? 0, f.costCents ?? 0);
}

/** An error on `quantity` when quantity × unit value exceeds LIMITS.stockValue (exact: both are safe integers). */
export function stockValueError(
  f: Pick<ItemFields, 'quantity' | 'priceCents' | 'costCents'>,
  prefix = '',
  field = 'quantity',
): FieldError | undefined {
  if (BigInt(f.quantity) * BigInt(unitValue(f)) <= BigInt(LIMITS.stockValue)) return undefined;
  return { path: prefix + field, message: `times the unit price or cost must be at most ${LIMITS.stockValue} (the item's stock value)` };
}

export const TEXT: Record<string, TextRule> = {
  sku: { max: 64, required: true, identifier: true },
  name: { max: 200, required: true },
  description: { max: 2000, required: false, multiline: true },
  unit: { max: 16, required: false },
  location: { max: 100, required: false },
  tag: { max: 32, required: true, identifier: true },
  // Long enough for any linear code and a short QR payload; compared exactly (never folded).
  barcode: { max: 128, required: false, identifier: true },
  note: { max: 500, required: false, multiline: true },
};

export type ItemFieldName = keyof ItemFields;
/**
 * Fields of an item a client may write: ItemSchema's own, in its order, which is the order the CSV export
 * writes them in (reordering ItemSchema reorders the export's columns).
 */
export const ITEM_FIELDS: readonly ItemFieldName[] = Object.keys(ItemSchema.properties).filter(
  (name): name is ItemFieldName => !(SERVER_OWNED as readonly string[]).includes(name),
);

type Checked<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Collects field errors under a path prefix ("" for JSON bodies, "rows/3/" for CSV rows). */
class Collector {
  readonly errors: FieldError[] = [];
  constructor(private readonly prefix: string) {}
  add(field: string, message: string): void {
    this.errors.push({ path: this.prefix + field, message });
  }

  text(field: string, value: unknown, rule: TextRule, nullable: boolean): string | null | undefined {
    if (value === null || (nullable && value === '')) {
      if (nullable) return null;
      this.add(field, 'is required');
      return undefined;
    }
    if (typeof value !== 'string') {
      this.add(field, 'must be a string');
      return undefined;
    }
    const checked = checkText(value, rule);
    if ('error' in checked) {
      this.add(field, checked.error);
      return undefined;
    }
    // An optional field that is only whitespace is stored as absent, not as ''.
    return nullable && checked.value === '' ? null : checked.value;
  }

  integer(field: string, value: unknown, min: number, max: number, nullable: boolean): number | null | undefined {
    if (value === null && nullable) return null;
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
      this.add(field, 'must be an integer');
      return undefined;
    }
    if (value < min || value > max) {
      this.add(field, `must be between ${min} and ${max}`);
      return undefined;
    }
    return value;
  }

  tags(field: string, value: unknown): string[] | undefined {
    if (!Array.isArray(value)) {
      this.add(field, 'must be an array of strings');
      return undefined;
    }
    if (value.length > LIMITS.tags) {
      this.add(field, `must have at most ${LIMITS.tags} tags`);
      return undefined;
    }
    const out: string[] = [];
    value.forEach((tag, i) => {
      const checked = typeof tag === 'string' ? checkText(tag, TEXT.tag as TextRule) : { error: 'must be a string' };
      if ('error' in checked) this.add(`${field}/${i}`, checked.error);
      // ';' separates tags in CSV cells.
      else if (checked.value.includes(';')) this.add(`${field}/${i}`, "must not contain ';'");
      else if (!out.includes(checked.value)) out.push(checked.value);
    });
    return out;
  }
}

/** Validates one editable field; undefined means it was rejected (the collector has the reason). */
function checkField(c: Collector, field: ItemFieldName, value: unknown): unknown {
  switch (field) {
    case 'sku':
    case 'name':
      return c.text(field, value, TEXT[field] as TextRule, false) ?? undefined;
    case 'description':
    case 'unit':
    case 'location':
    case 'barcode':
      return c.text(field, value, TEXT[field] as TextRule, true);
    case 'quantity':
      return c.integer(field, value, 0, LIMITS.quantity, false);
    case 'lowStockThreshold':
      return c.integer(field, value, 0, LIMITS.quantity, false);
    case 'priceCents':
    case 'costCents':
      return c.integer(field, value, 0, LIMITS.cents, true);
    case 'tags':
      return c.tags(field, value);
  }
}

const DEFAULTS: Omit<ItemFields, 'sku' | 'name'> = {
  description: null,
  quantity: 0,
  unit: null,
  priceCents: null,
  costCents: null,
  lowStockThreshold: 0,
  location: null,
  tags: [],
  barcode: null,
};

/** A new item (POST body or CSV row): sku and name required, the rest defaulted. */
export function checkNewItem(input: unknown, prefix = ''): Checked<ItemFields> {
  const c = new Collector(prefix);
  if (!isRecord(input)) return { ok: false, errors: [{ path: prefix || '/', message: 'must be an object' }] };
  const out: Record<string, unknown> = { ...DEFAULTS, tags: [] };
  for (const key of Object.keys(input)) {
    if (!(ITEM_FIELDS as readonly string[]).includes(key)) c.add(key, 'is not a known field');
  }
  for (const field of ITEM_FIELDS) {
    const value = input[field];
    if (value === undefined) {
      if (field === 'sku' || field === 'name') c.add(field, 'is required');
      continue;
    }
    const checked = checkField(c, field, value);
    if (checked !== undefined) out[field] = checked;
  }
  if (c.errors.length > 0) return { ok: false, errors: c.errors };
  const value = out as unknown as ItemFields;
  const tooValuable = stockValueError(value, prefix);
  return tooValuable ? { ok: false, errors: [tooValuable] } : { ok: true, value };
}

/** A PATCH body: any editable field but quantity, and the version (required). */
export function checkPatch(input: unknown): Checked<ItemPatch> {
  const c = new Collector('');
  if (!isRecord(input)) return { ok: false, errors: [{ path: '/', message: 'must be an object' }] };
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(input)) {
    if (key === 'version') continue;
    if (key === 'quantity') c.add(key, 'cannot be edited: change stock with an adjustment');
    else if (!(ITEM_FIELDS as readonly string[]).includes(key)) c.add(key, 'is not a known field');
    else {
      const checked = checkField(c, key as ItemFieldName, input[key]);
      if (checked !== undefined) out[key] = checked;
    }
  }
  if (input.version === undefined) c.add('version', 'is required');
  else {
    const version = c.integer('version', input.version, 1, 2_147_483_647, false);
    if (version != null) out.version = version;
  }
  return c.errors.length > 0 ? { ok: false, errors: c.errors } : { ok: true, value: out as ItemPatch };
}

export function checkAdjustment(input: unknown): Checked<AdjustmentInput> {
  const c = new Collector('');
  if (!isRecord(input)) return { ok: false, errors: [{ path: '/', message: 'must be an object' }] };
  for (const key of Object.keys(input)) {
    if (!['delta', 'reason', 'note'].includes(key)) c.add(key, 'is not a known field');
  }
  const delta = c.integer('delta', input.delta, -LIMITS.delta, LIMITS.delta, false);
  if (delta === 0) c.add('delta', 'must not be zero');
  const reason = input.reason;
  if (typeof reason !== 'string' || !(ADJUSTMENT_REASONS as readonly string[]).includes(reason)) {
    c.add('reason', `must be one of ${ADJUSTMENT_REASONS.join(', ')}`);
  }
  const note = input.note === undefined ? null : c.text('note', input.note, TEXT.note as TextRule, true);
  if (c.errors.length > 0) return { ok: false, errors: c.errors };
  return { ok: true, value: { delta: delta as number, reason: reason as AdjustmentReason, note: note ?? null } };
}
