import { api } from './client';

/*
 * Stock counts (docs/api.md "Shop floor"). The shapes are those of the contract; fields the contract
 * leaves to the server (a count's own fields beyond id, name and status) are optional here.
 */

export interface StockCount {
  id: string;
  name: string | null;
  status: string;
  location?: string | null;
  tag?: string | null;
  createdAt?: string;
}

export interface CountLine {
  itemId: string;
  sku: string;
  name: string;
  expected: number;
  counted: number | null;
  countedAt: string | null;
  countedBy: string | null;
}

/** Sums over every line of the count, on every page (docs/api.md "Shop floor"). */
export interface CountTotals {
  expected: number;
  counted: number;
  varianceUnits: number;
  /** null below manager. */
  varianceValueCents: number | null;
}

/** A count and one page of its lines (by item name); `nextCursor` asks for the next page. */
export interface CountDetail {
  count: StockCount & { lines: number; countedLines: number };
  lines: CountLine[];
  totals: CountTotals;
  nextCursor: string | null;
}

export interface CountCommitted {
  adjusted: number;
  varianceUnits: number;
  varianceValueCents: number | null;
}

export interface NewCount {
  name?: string;
  location?: string;
  tag?: string;
}

const countPath = (id: string) => `/api/counts/${encodeURIComponent(id)}`;

export const counts = {
  list: () => api<{ counts: StockCount[] }>('/api/counts'),
  /** A page of the count's lines: the first without `cursor`, the next with the previous page's `nextCursor`. */
  get: (id: string, page: { cursor?: string; limit?: number } = {}) => {
    const query = new URLSearchParams();
    if (page.cursor) query.set('cursor', page.cursor);
    if (page.limit !== undefined) query.set('limit', String(page.limit));
    const qs = query.toString();
    return api<CountDetail>(qs ? `${countPath(id)}?${qs}` : countPath(id));
  },
  start: (input: NewCount) => api<{ count: StockCount }>('/api/counts', { method: 'POST', json: input }),
  /** The absolute number on the shelf; a later entry for the same item replaces it. */
  enter: (id: string, itemId: string, counted: number) =>
    api<{ line: CountLine }>(`${countPath(id)}/lines/${encodeURIComponent(itemId)}`, { method: 'PUT', json: { counted } }),
  commit: (id: string) => api<CountCommitted>(`${countPath(id)}/commit`, { method: 'POST' }),
  abandon: (id: string) => api<void>(countPath(id), { method: 'DELETE' }),
};
