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

export interface CountDetail {
  count: StockCount;
  lines: CountLine[];
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
  get: (id: string) => api<CountDetail>(countPath(id)),
  start: (input: NewCount) => api<{ count: StockCount }>('/api/counts', { method: 'POST', json: input }),
  /** The absolute number on the shelf; a later entry for the same item replaces it. */
  enter: (id: string, itemId: string, counted: number) =>
    api<{ line: CountLine }>(`${countPath(id)}/lines/${encodeURIComponent(itemId)}`, { method: 'PUT', json: { counted } }),
  commit: (id: string) => api<CountCommitted>(`${countPath(id)}/commit`, { method: 'POST' }),
  abandon: (id: string) => api<void>(countPath(id), { method: 'DELETE' }),
};
