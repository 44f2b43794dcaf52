/** The inventory's public shapes: exactly the JSON of API.md "Inventory" (camelCase, ISO times, cents). */

export const REASONS = ['received', 'sold', 'returned', 'damaged', 'lost', 'correction'] as const;
export type Reason = (typeof REASONS)[number];

export interface Item {
  id: string;
  sku: string;
  name: string;
  description: string | null;
  quantity: number;
  unit: string | null;
  priceCents: number | null;
  costCents: number | null;
  lowStockThreshold: number;
  location: string | null;
  tags: string[];
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface Movement {
  id: string;
  itemId: string;
  delta: number;
  quantityAfter: number;
  reason: Reason;
  note: string | null;
  createdAt: string;
  /** The user who made the change; null once that account is gone. */
  by: string | null;
}

/** Everything a client may set on an item (create); quantity only at creation or by import. */
export interface ItemFields {
  sku: string;
  name: string;
  description: string | null;
  quantity: number;
  unit: string | null;
  priceCents: number | null;
  costCents: number | null;
  lowStockThreshold: number;
  location: string | null;
  tags: string[];
}

/** A PATCH: any editable field (never quantity), with the version the client last saw. */
export type ItemPatch = Partial<Omit<ItemFields, 'quantity'>> & { version: number };

export interface AdjustmentInput {
  delta: number;
  reason: Reason;
  note: string | null;
}

export interface Summary {
  itemCount: number;
  /** A bigint only beyond Number.MAX_SAFE_INTEGER (summary.ts): still an exact JSON integer. */
  totalUnits: number | bigint;
  /** Sum of quantity × cost, or × price for items without a cost (see summary.ts); bigint as above. */
  stockValueCents: number | bigint;
  lowStockCount: number;
}

/** Who is writing, and the Idempotency-Key of the request if it carried one. */
export interface WriteContext {
  by: string;
  idempotency?: IdempotencyTicket | undefined;
}

export interface IdempotencyTicket {
  key: string;
  /** SHA-256 of method, path and body: a retry must match it exactly. */
  requestHash: string;
}

/** The result of a POST, and whether it is the stored first response replayed. */
export interface Outcome<T> {
  result: T;
  replayed: boolean;
}
