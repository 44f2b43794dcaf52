import { AppError } from '../errors.js';

/*
 * Opaque pagination cursors: base64url of a small JSON object. Opaque means clients must not build or
 * edit them; a cursor that does not decode, or does not match the query it is used with, is a 400.
 * A cursor is not a credential: whatever it says, the query stays scoped to the signed-in merchant.
 * It is readable, though (not sealed), so it must carry only the merchant's own values — sort keys of
 * its own rows, random ids — never a counter shared by all tenants such as the ledger's `seq`
 * (movements.ts names a movement by its id for that reason).
 */

// Enough for the longest sort key (a 200-character name can fold to a few thousand bytes under NFKC).
const MAX_LENGTH = 16384;

function invalid(): AppError {
  return new AppError('validation', 'The cursor is not valid for this request.', {
    errors: [{ path: 'cursor', message: 'is not a valid cursor' }],
  });
}

export function encodeCursor(payload: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): Record<string, unknown> {
  if (cursor.length === 0 || cursor.length > MAX_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid();
  return parsed as Record<string, unknown>;
}

/** Throws the cursor 400 unless `ok`; for the per-field checks of a decoded cursor. */
export function expectCursor(ok: boolean): void {
  if (!ok) throw invalid();
}

export const PAGE = { defaultLimit: 50, maxLimit: 200 } as const;

export function checkLimit(limit: number | undefined): number {
  if (limit === undefined) return PAGE.defaultLimit;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > PAGE.maxLimit) {
    throw new AppError('validation', `limit must be an integer from 1 to ${PAGE.maxLimit}.`, {
      errors: [{ path: 'limit', message: `must be an integer from 1 to ${PAGE.maxLimit}` }],
    });
  }
  return limit;
}
