import type { Item, ItemInput } from '../api/types';
import { parseWhole } from '../lib/format';
import { formatMoney, parseMoney, toDecimal } from '../lib/money';

/** The item form as the merchant types it: every field a string, converted only on save. */
export interface ItemFormValues {
  sku: string;
  name: string;
  description: string;
  quantity: string;
  unit: string;
  price: string;
  cost: string;
  lowStockThreshold: string;
  location: string;
  tags: string;
}

export const FIELD_LABELS: Record<keyof ItemFormValues, string> = {
  sku: 'SKU',
  name: 'Name',
  description: 'Description',
  quantity: 'Quantity',
  unit: 'Unit',
  price: 'Price',
  cost: 'Cost',
  lowStockThreshold: 'Low-stock threshold',
  location: 'Location',
  tags: 'Tags',
};

/** Form field → API field, for mapping server validation errors back onto inputs. */
export const API_FIELD: Record<keyof ItemFormValues, keyof ItemInput> = {
  sku: 'sku',
  name: 'name',
  description: 'description',
  quantity: 'quantity',
  unit: 'unit',
  price: 'priceCents',
  cost: 'costCents',
  lowStockThreshold: 'lowStockThreshold',
  location: 'location',
  tags: 'tags',
};

export const EDITABLE: (keyof ItemFormValues)[] = [
  'sku',
  'name',
  'description',
  'unit',
  'price',
  'cost',
  'lowStockThreshold',
  'location',
  'tags',
];

export const emptyValues = (): ItemFormValues => ({
  sku: '',
  name: '',
  description: '',
  quantity: '0',
  unit: '',
  price: '',
  cost: '',
  lowStockThreshold: '0',
  location: '',
  tags: '',
});

const moneyInput = (minor: number | null, currency: string) => (minor === null ? '' : toDecimal(minor, currency));

/** Minor units as typed, or null; NaN when the text is not an amount (parseMoney says why). */
const minorOf = (text: string, currency: string): number | null => {
  const parsed = parseMoney(text, currency);
  return parsed.ok ? parsed.minor : Number.NaN;
};

export const fromItem = (item: Item, currency: string): ItemFormValues => ({
  sku: item.sku,
  name: item.name,
  description: item.description ?? '',
  quantity: String(item.quantity),
  unit: item.unit ?? '',
  price: moneyInput(item.priceCents, currency),
  cost: moneyInput(item.costCents, currency),
  lowStockThreshold: String(item.lowStockThreshold),
  location: item.location ?? '',
  tags: item.tags.join(', '),
});

const parseTags = (s: string) =>
  s
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);

/**
 * Converts the form to API values; errors are keyed by form field. Amounts are read in the shop's
 * currency by src/lib/money.ts: "14,50" is 14.50, and anything ambiguous ("1,450") is an error that
 * repeats what was typed — never a silent change of magnitude.
 */
export function toInput(v: ItemFormValues, currency: string): { input: ItemInput; errors: Partial<Record<keyof ItemFormValues, string>> } {
  const errors: Partial<Record<keyof ItemFormValues, string>> = {};
  if (!v.sku.trim()) errors.sku = 'Enter a SKU.';
  if (!v.name.trim()) errors.name = 'Enter a name.';
  const quantity = parseWhole(v.quantity);
  if (Number.isNaN(quantity)) errors.quantity = 'Enter a whole number of 0 or more.';
  const price = parseMoney(v.price, currency);
  if (!price.ok) errors.price = `${price.message}.`;
  const cost = parseMoney(v.cost, currency);
  if (!cost.ok) errors.cost = `${cost.message}.`;
  const lowStockThreshold = parseWhole(v.lowStockThreshold);
  if (Number.isNaN(lowStockThreshold)) errors.lowStockThreshold = 'Enter a whole number of 0 or more.';
  const input: ItemInput = {
    sku: v.sku.trim(),
    name: v.name.trim(),
    description: v.description.trim() || null,
    quantity: quantity ?? 0,
    unit: v.unit.trim() || null,
    priceCents: price.ok ? price.minor : null,
    costCents: cost.ok ? cost.minor : null,
    lowStockThreshold: lowStockThreshold ?? 0,
    location: v.location.trim() || null,
    tags: parseTags(v.tags),
  };
  return { input, errors };
}

/** The fields of `next` that differ from `base`, as an API patch (never quantity: that is the ledger's). */
export function diffPatch(base: ItemFormValues, next: ItemFormValues, input: ItemInput, currency: string): Partial<ItemInput> {
  const patch: Record<string, unknown> = {};
  for (const field of EDITABLE) {
    if (normalise(field, base[field], currency) !== normalise(field, next[field], currency)) {
      const apiField = API_FIELD[field];
      patch[apiField] = input[apiField];
    }
  }
  return patch as Partial<ItemInput>;
}

function normalise(field: keyof ItemFormValues, value: string, currency: string): string {
  if (field === 'tags') return parseTags(value).join(',');
  if (field === 'price' || field === 'cost') return String(minorOf(value, currency));
  if (field === 'lowStockThreshold') return String(parseWhole(value) ?? 0);
  return value.trim();
}

/** A value as the conflict table shows it. */
export function display(field: keyof ItemFormValues, v: ItemFormValues, currency: string): string {
  const raw = v[field];
  if (field === 'price' || field === 'cost') {
    const minor = minorOf(raw, currency);
    return minor === null || Number.isNaN(minor) ? raw || '—' : formatMoney(minor, currency);
  }
  return raw.trim() === '' ? '—' : raw;
}

export const sameValue = (field: keyof ItemFormValues, a: ItemFormValues, b: ItemFormValues, currency: string) =>
  normalise(field, a[field], currency) === normalise(field, b[field], currency);
