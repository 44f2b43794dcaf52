/** The shapes of the public API (see /work/shared/API.md). Ids are opaque strings, times ISO 8601 UTC. */

export type Role = 'merchant' | 'admin';

export interface User {
  id: string;
  username: string;
  role: Role;
  createdAt: string;
}

export interface SessionInfo {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  authenticatedAt: string;
  idleExpiresAt: string;
  absoluteExpiresAt: string;
}

/** register, login and GET /api/auth/session all answer this (register without `session`). */
export interface AuthResponse {
  user: User;
  session?: SessionInfo;
  csrfToken: string;
}

export interface DeviceSession {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  idleExpiresAt: string;
  absoluteExpiresAt: string;
  userAgent: string | null;
  ip: string | null;
  current: boolean;
}

export interface Item {
  id: string;
  sku: string;
  name: string;
  description: string | null;
  quantity: number;
  unit: string | null;
  priceCents: number | null;
  costCents: number | null;
  /** Low when quantity <= this (default 0: out of stock). */
  lowStockThreshold: number;
  location: string | null;
  tags: string[];
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** What the create form sends; PATCH sends any of these but quantity, plus `version`. */
export interface ItemInput {
  sku: string;
  name: string;
  description?: string | null;
  quantity?: number;
  unit?: string | null;
  priceCents?: number | null;
  costCents?: number | null;
  lowStockThreshold?: number;
  location?: string | null;
  tags?: string[];
}

export const REASONS = ['received', 'sold', 'returned', 'damaged', 'lost', 'correction'] as const;
export type Reason = (typeof REASONS)[number];

export interface Movement {
  id: string;
  itemId: string;
  delta: number;
  quantityAfter: number;
  reason: Reason;
  note: string | null;
  createdAt: string;
  by: string | null;
}

export interface ItemPage {
  items: Item[];
  nextCursor: string | null;
}

export interface MovementPage {
  movements: Movement[];
  nextCursor: string | null;
}

export interface Summary {
  itemCount: number;
  totalUnits: number;
  stockValueCents: number;
  lowStockCount: number;
}

/** One UTC day of GET /api/inventory/movements/daily (our extension to API.md). */
export interface DailyMovements {
  /** YYYY-MM-DD, a UTC calendar day. */
  date: string;
  unitsIn: number;
  unitsOut: number;
  movements: number;
}

export interface ActivityEvent {
  type: string;
  at: string;
  ip: string | null;
  userAgent: string | null;
  /** An administrator did this to the account (which one is not disclosed). */
  byAdmin?: boolean;
}

export interface AdminUser {
  id: string;
  username: string;
  role: Role;
  disabled: boolean;
  activeSessions: number;
  createdAt: string;
  lastLoginAt: string | null;
}

export interface FieldError {
  path: string;
  message: string;
}

/** RFC 9457 problem JSON as Stockade sends it. Extra members (e.g. the current `item`) may ride along. */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  code?: string;
  errors?: FieldError[];
  [extra: string]: unknown;
}
