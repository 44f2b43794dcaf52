import type { Item, ItemInput } from '../api/types';
import { centsToInput, formatCents, parseCents, parseWhole } from '../lib/format';

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

export const fromItem = (item: Item): ItemFormValues => ({
  sku: item.sku,
  name: item.name,
  description: item.description ?? '',
  quantity: String(item.quantity),
  unit: item.unit ?? '',
  price: centsToInput(item.priceCents),
  cost: centsToInput(item.costCents),
  lowStockThreshold: String(item.lowStockThreshold),
  location: item.location ?? '',
  tags: item.tags.join(', '),
});

const parseTags = (s: string) =>
  s
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);

/** Converts the form to API values; errors are keyed by form field. */
export function toInput(v: ItemFormValues): { input: ItemInput; errors: Partial<Record<keyof ItemFormValues, string>> } {
  const errors: Partial<Record<keyof ItemFormValues, string>> = {};
  if (!v.sku.trim()) errors.sku = 'Enter a SKU.';
  if (!v.name.trim()) errors.name = 'Enter a name.';
  const quantity = parseWhole(v.quantity);
  if (Number.isNaN(quantity)) errors.quantity = 'Enter a whole number of 0 or more.';
  const priceCents = parseCents(v.price);
  if (Number.isNaN(priceCents)) errors.price = 'Enter an amount like 12.50.';
  const costCents = parseCents(v.cost);
  if (Number.isNaN(costCents)) errors.cost = 'Enter an amount like 7.25.';
  const lowStockThreshold = parseWhole(v.lowStockThreshold);
  if (Number.isNaN(lowStockThreshold)) errors.lowStockThreshold = 'Enter a whole number of 0 or more.';
  const input: ItemInput = {
    sku: v.sku.trim(),
    name: v.name.trim(),
    description: v.description.trim() || null,
    quantity: quantity ?? 0,
    unit: v.unit.trim() || null,
    priceCents,
    costCents,
    lowStockThreshold: lowStockThreshold ?? 0,
    location: v.location.trim() || null,
    tags: parseTags(v.tags),
  };
  return { input, errors };
}

/** The fields of `next` that differ from `base`, as an API patch (never quantity: that is the ledger's). */
export function diffPatch(base: ItemFormValues, next: ItemFormValues, input: ItemInput): Partial<ItemInput> {
  const patch: Record<string, unknown> = {};
  for (const field of EDITABLE) {
    if (normalise(field, base[field]) !== normalise(field, next[field])) {
      const apiField = API_FIELD[field];
      patch[apiField] = input[apiField];
    }
  }
  return patch as Partial<ItemInput>;
}

function normalise(field: keyof ItemFormValues, value: string): string {
  if (field === 'tags') return parseTags(value).join(',');
  if (field === 'price' || field === 'cost') return String(parseCents(value));
  if (field === 'lowStockThreshold') return String(parseWhole(value) ?? 0);
  return value.trim();
}

/** A value as the conflict table shows it. */
export function display(field: keyof ItemFormValues, v: ItemFormValues): string {
  const raw = v[field];
  if (field === 'price' || field === 'cost') {
    const cents = parseCents(raw);
    return cents === null || Number.isNaN(cents) ? raw || '—' : formatCents(cents);
  }
  return raw.trim() === '' ? '—' : raw;
}

export const sameValue = (field: keyof ItemFormValues, a: ItemFormValues, b: ItemFormValues) =>
  normalise(field, a[field]) === normalise(field, b[field]);
