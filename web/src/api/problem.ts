import type { FieldError, Problem } from './types';

/**
 * A failed API call. `code` is the problem's `code` (see docs/api.md) or one of our own client-side codes:
 * `network` (fetch itself failed: offline, server down) and `bad_response` (not JSON where JSON was due).
 */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  readonly code: string;
  readonly problem: Problem;
  /** Seconds to wait, from Retry-After (429, 503); null when absent or unparseable. */
  readonly retryAfter: number | null;

  constructor(problem: Problem, retryAfter: number | null = null) {
    super(problem.detail ?? problem.title ?? `HTTP ${problem.status}`);
    this.status = problem.status;
    this.code = problem.code ?? codeForStatus(problem.status);
    this.problem = problem;
    this.retryAfter = retryAfter;
  }

  get fieldErrors(): FieldError[] {
    return Array.isArray(this.problem.errors) ? this.problem.errors : [];
  }
}

function codeForStatus(status: number): string {
  if (status === 0) return 'network';
  if (status === 401) return 'unauthenticated';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'internal';
  return 'http_error';
}

/** Retry-After is either delay-seconds or an HTTP date (RFC 9110 §10.2.3); we accept both. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | null {
  if (!header) return null;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** "about 3 minutes", "45 seconds": a wait a person can act on. */
export function formatWait(seconds: number): string {
  if (seconds < 60) return seconds <= 1 ? '1 second' : `${seconds} seconds`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return minutes === 1 ? '1 minute' : `${minutes} minutes`;
  const hours = Math.ceil(minutes / 60);
  return hours === 1 ? '1 hour' : `${hours} hours`;
}

/**
 * The sentence to show a merchant for a failure. Server `detail` is written to be safe to show
 * (never SQL or a stack), so we use it where it is more specific than our generic line.
 */
export function describeError(err: unknown): string {
  if (!(err instanceof ApiError)) {
    return 'Something went wrong in the app. Reload the page and try again.';
  }
  const detail = err.problem.detail;
  switch (err.code) {
    case 'network':
      return 'Stockade cannot be reached. Check your connection and try again.';
    case 'rate_limited':
      return err.retryAfter !== null
        ? `Too many attempts. Please wait ${formatWait(err.retryAfter)} and try again.`
        : 'Too many attempts. Please wait a little and try again.';
    case 'unavailable':
      return err.retryAfter !== null
        ? `Stockade is busy right now. Try again in ${formatWait(err.retryAfter)}.`
        : 'Stockade is busy right now. Try again shortly.';
    case 'unauthenticated':
      return 'Your session ended — sign in again.';
    case 'csrf':
      return 'The request was refused as a possible cross-site request. Reload the page and try again.';
    case 'reauth_required':
      return 'Confirm your password to do that.';
    case 'mfa_required':
      return 'This shop requires two-factor sign-in. Turn it on under Account → Two-factor sign-in, then come back.';
    case 'forbidden':
      return "You don't have permission to do that.";
    case 'not_found':
      return 'That no longer exists. It may have been deleted.';
    case 'payload_too_large':
      return 'That is too large to send. CSV files can be at most 20 MB.';
    case 'unsupported_media_type':
      return 'That file type is not supported.';
    case 'internal':
      return 'Something went wrong on our side. Please try again.';
    case 'validation':
      return detail ?? 'Please check the highlighted fields.';
    default:
      return detail ?? err.problem.title ?? 'The request failed.';
  }
}

/** Field errors keyed by their first path segment ("password", "tags/0" → "tags"). */
export function fieldErrorMap(err: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(err instanceof ApiError)) return out;
  for (const e of err.fieldErrors) {
    const key = e.path.replace(/^\/+/, '').split(/[/.[]/)[0] ?? '';
    if (key && !(key in out)) out[key] = e.message;
  }
  return out;
}
