/**
 * The catalogue of error codes: data, not prose. Every failure a client can see is one of these, sent
 * as RFC 9457 problem JSON by http/plugins/errors.ts. Tests assert `code`, never message text, and a
 * test checks that README/API docs list every code.
 */
export const ERROR_CODES = {
  validation: { status: 400, title: 'Invalid request' },
  unauthenticated: { status: 401, title: 'Not signed in' },
  forbidden: { status: 403, title: 'Forbidden' },
  csrf: { status: 403, title: 'Cross-site request refused' },
  reauth_required: { status: 403, title: 'Re-authentication required' },
  mfa_required: { status: 403, title: 'Two-factor sign-in required' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflict' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal error' },
  unavailable: { status: 503, title: 'Service unavailable' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface FieldError {
  /** JSON-pointer-ish location: "password", "rows/3/sku". */
  path: string;
  message: string;
}

export interface AppErrorOptions {
  errors?: readonly FieldError[];
  /** Seconds, for rate_limited and unavailable (sent as Retry-After). */
  retryAfter?: number;
  /** Problem fields beyond the standard ones (e.g. the current item on a version conflict). */
  extra?: Readonly<Record<string, unknown>>;
  /** Only where the contract pairs a code with another status (CSV import: 422 `validation`). */
  status?: number;
}

/**
 * An expected failure with a client-facing code. Domain code (sessions/, auth/, inventory/) throws it;
 * the HTTP shell renders it. Anything else thrown becomes a generic 500 `internal`.
 */
export class AppError extends Error {
  override name = 'AppError';
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    /** Safe to show the client: never SQL, never a stack, never whether a username exists. */
    readonly detail?: string,
    readonly options: AppErrorOptions = {},
  ) {
    super(detail ?? ERROR_CODES[code].title);
    this.status = options.status ?? ERROR_CODES[code].status;
  }
}

export const notFound = (detail = 'No such resource.') => new AppError('not_found', detail);
export const validation = (errors: FieldError[], detail = 'The request is not valid.') => new AppError('validation', detail, { errors });
