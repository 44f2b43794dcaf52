import { ApiError, parseRetryAfter } from './problem';
import type { Problem } from './types';

/**
 * The one way the app talks to the server. Same origin, cookie sent by the browser (HttpOnly: we never
 * see it, and never read document.cookie), JSON in and out, and the session's CSRF token on every unsafe
 * request. The token lives only in this module's memory; after a reload the app asks
 * GET /api/auth/session for it again.
 *
 * Three failures are handled here, for every screen at once, through hooks the app installs:
 * - 401 on a call that needs a session → the session ended (expired, revoked, signed out elsewhere):
 *   `onSessionEnded` sends the merchant to sign-in; the screen's drafts stay in memory.
 * - 403 `reauth_required` → `reauthenticate` asks for the password (step-up) and, if given, the
 *   request is retried once.
 * - 403 `csrf` → the token we hold may be stale (e.g. rotated by a password change in this tab);
 *   we fetch the current one once and retry. A second refusal is shown to the merchant.
 */

let csrfToken: string | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export interface ClientHooks {
  onSessionEnded: () => void;
  /** Resolves true once the merchant re-entered their password; false if they cancelled. */
  reauthenticate: () => Promise<boolean>;
  onSecondFactorRequired: () => void;
}

let hooks: ClientHooks = {
  onSessionEnded: () => {},
  reauthenticate: async () => false,
  onSecondFactorRequired: () => {},
};

export function installClientHooks(next: ClientHooks): void {
  hooks = next;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as-is with `contentType` (CSV import). */
  text?: string;
  contentType?: string;
  /**
   * For calls where 401 is an answer, not a lost session (sign-in, the initial who-am-I,
   * reauthentication): the caller handles it and the app is not sent to sign-in.
   */
  unauthenticatedIsExpected?: boolean;
  /** Sends an Idempotency-Key so a retried POST is not applied twice (docs/api.md). */
  idempotencyKey?: string;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

async function send(path: string, opts: RequestOptions): Promise<Response> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = { Accept: 'application/json, application/problem+json' };
  let body: string | undefined;
  if (opts.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.text !== undefined) {
    headers['Content-Type'] = opts.contentType ?? 'text/plain';
    body = opts.text;
  }
  if (UNSAFE.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  if (opts.idempotencyKey) headers['Idempotency-Key'] = opts.idempotencyKey;
  try {
    return await fetch(path, { method, headers, body, credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new ApiError({ status: 0, code: 'network', title: 'Network error' });
  }
}

async function toError(res: Response): Promise<ApiError> {
  let problem: Problem = { status: res.status };
  const type = res.headers.get('Content-Type') ?? '';
  if (type.includes('json')) {
    try {
      const parsed: unknown = await res.json();
      if (parsed && typeof parsed === 'object') problem = { ...(parsed as Problem), status: res.status };
    } catch {
      // A body that is not the JSON it claims: keep the status-only problem.
    }
  }
  return new ApiError(problem, parseRetryAfter(res.headers.get('Retry-After')));
}

/** Refreshes the CSRF token from the session; false when there is no session any more. */
async function refreshCsrfToken(): Promise<boolean> {
  const res = await send('/api/auth/session', {});
  if (!res.ok) return false;
  const body = (await res.json()) as { csrfToken?: string };
  if (typeof body.csrfToken !== 'string') return false;
  csrfToken = body.csrfToken;
  return true;
}

async function request(path: string, opts: RequestOptions): Promise<Response> {
  let res = await send(path, opts);
  let retried = false;
  for (;;) {
    if (res.ok) return res;
    const err = await toError(res);
    if (err.status === 401 && !opts.unauthenticatedIsExpected) {
      hooks.onSessionEnded();
      throw err;
    }
    if (!retried && err.code === 'csrf' && (await refreshCsrfToken())) {
      retried = true;
      res = await send(path, opts);
      continue;
    }
    if (!retried && err.code === 'reauth_required' && (await hooks.reauthenticate())) {
      retried = true;
      res = await send(path, opts);
      continue;
    }
    if (err.code === 'mfa_required') hooks.onSecondFactorRequired();
    throw err;
  }
}

/** Calls the API and returns its JSON body (undefined for 204). Throws ApiError on any failure. */
export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await request(path, opts);
  if (res.status === 204) return undefined as T;
  try {
    return (await res.json()) as T;
  } catch {
    throw new ApiError({ status: res.status, code: 'bad_response', title: 'Unexpected response' });
  }
}

/** Calls the API and returns the raw Response, for bodies that are not JSON (CSV download). */
export function apiRaw(path: string, opts: RequestOptions = {}): Promise<Response> {
  return request(path, opts);
}

/**
 * A fresh Idempotency-Key. crypto.randomUUID only exists in secure contexts, and Stockade may be
 * served over plain HTTP on a LAN, so we build a v4 UUID from getRandomValues, which works everywhere.
 */
export function newIdempotencyKey(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Builds `path?a=b` from the defined, non-empty values. */
export function withQuery(path: string, query: Record<string, string | number | boolean | null | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '' || v === false) continue;
    params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}
