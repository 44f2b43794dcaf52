import { randomBytes } from 'node:crypto';
import type { Config } from '../config.js';
import type { Db, Queryable } from '../db/db.js';
import type { RevocationBus } from '../sessions/bus.js';
import type { AuditLog } from './audit.js';
import { CURRENT_KEY, PREVIOUS_KEY, REFRESH_MS, type StoredPreviousKey } from './pseudonyms.js';
import { REGISTER_WINDOW_SECONDS } from './throttle.js';

/**
 * Rotating the pseudonym key (`stockade rotate-pseudonym-key`, docs/operations.md "Rotate").
 *
 * A new random key becomes current; the one it replaces is kept as the previous key until the grace
 * period ends, and the throttle consults the records made under both meanwhile (throttle.ts), so
 * rotating is never a way to wipe a lockout or the failures that lead to one. The grace period must
 * therefore outlast every record made under the old key: the longest a throttling record lives
 * (`minimumGraceSeconds`), plus the time a server that missed the rotation's message may go on making
 * records under the old key (at most REFRESH_MS, pseudonyms.ts) — SLACK_SECONDS covers that with room.
 *
 * One previous key at a time: a rotation while the previous key is still in its grace period would drop
 * that key and forget its records, so it is refused unless forced (a second leaked key: then forgetting
 * some throttling state is the lesser harm).
 *
 * What does not change: the audit rows of users deleted before the rotation keep the pseudonym made
 * under the old key (it only links the rows of one deleted account to each other; nothing needs to find
 * them by user id again). Deletions after it use the new key.
 */

export const SLACK_SECONDS = 10 * 60;

/** The longest any throttling or quota record made now can live, in seconds, plus the slack. */
export function minimumGraceSeconds(config: Config): number {
  const l = config.login;
  // A record lives until its lockout ends plus a quiet window: lockoutMax + window at most. A quota's
  // lockout and window are both its interval.
  const lifetimes = [l.lockoutMax + l.failureWindow, 2 * REGISTER_WINDOW_SECONDS, 2 * config.importWindow, 2 * config.exportInterval];
  return Math.max(...lifetimes) + Math.max(SLACK_SECONDS, (2 * REFRESH_MS) / 1000);
}

export interface RotationResult {
  /** When the previous key stops being consulted. */
  readonly previousUntil: Date;
  /** True when a previous key still in its grace period was dropped (forced). */
  readonly droppedPrevious: boolean;
}

export class RotationRefused extends Error {
  constructor(readonly previousUntil: Date) {
    super(`the previous pseudonym key is still consulted until ${previousUntil.toISOString()}`);
  }
}

/**
 * Makes a new key current and keeps the old one for `graceSeconds`, in one transaction (two
 * concurrent rotations are serialised by the row lock; the second sees the first's previous key).
 */
export async function rotatePseudonymKey(db: Db, opts: { graceSeconds: number; force?: boolean }): Promise<RotationResult> {
  return db.transaction(async (tx) => {
    const current = await tx.query<{ value: string }>(`SELECT value FROM install_secrets WHERE name = $1 FOR UPDATE`, [CURRENT_KEY]);
    const old = current.rows[0]?.value;
    if (!old) throw new Error('install_secrets.pseudonym_key is missing: run the migrations');
    const prev = await tx.query<{ value: string; live: boolean }>(
      `SELECT value, (value::json->>'until')::timestamptz > now() AS live FROM install_secrets WHERE name = $1`,
      [PREVIOUS_KEY],
    );
    const live = prev.rows[0]?.live === true;
    if (live && !opts.force) throw new RotationRefused(new Date((JSON.parse(prev.rows[0]!.value) as StoredPreviousKey).until));
    const until = await tx.query<{ until: Date | string }>(`SELECT now() + make_interval(secs => $1) AS until`, [opts.graceSeconds]);
    const previousUntil = new Date(until.rows[0]!.until);
    const stored: StoredPreviousKey = { key: old, until: previousUntil.toISOString() };
    await tx.query(`INSERT INTO install_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value`, [
      PREVIOUS_KEY,
      JSON.stringify(stored),
    ]);
    // 256 bits from the strong random source, hex like the key migration 003 made.
    await tx.query(`UPDATE install_secrets SET value = $2 WHERE name = $1`, [CURRENT_KEY, randomBytes(32).toString('hex')]);
    return { previousUntil, droppedPrevious: live };
  });
}

/** Deletes the previous key once its grace period is over (the purge job); true when one was dropped. */
export async function dropExpiredPreviousKey(db: Queryable): Promise<boolean> {
  const res = await db.query(`DELETE FROM install_secrets WHERE name = $1 AND (value::json->>'until')::timestamptz <= now()`, [
    PREVIOUS_KEY,
  ]);
  return (res.rowCount ?? 0) > 0;
}

export interface RotateRequest {
  /** Seconds the previous key stays consulted (minimumGraceSeconds unless forced shorter). */
  readonly graceSeconds: number;
  readonly force: boolean;
  /** Who asked, for the audit row ("cli"). */
  readonly via: string;
}

/**
 * The whole procedure: rotate, audit (audit.system, no key in it), then tell every running server on
 * the bus (each re-reads the keys on the notice; one that misses it re-reads within REFRESH_MS).
 * Returns the bus kind the notice went on, or null without a bus.
 */
export async function rotateAndAnnounce(
  deps: { db: Db; audit: AuditLog; sessionStack?: { readonly bus?: RevocationBus | undefined } | undefined },
  req: RotateRequest,
): Promise<RotationResult & { bus: string | null }> {
  const result = await rotatePseudonymKey(deps.db, { graceSeconds: req.graceSeconds, force: req.force });
  await deps.audit.system('pseudonym_key.rotated', {
    details: {
      via: req.via,
      graceSeconds: req.graceSeconds,
      previousUntil: result.previousUntil.toISOString(),
      droppedPrevious: result.droppedPrevious,
      forced: req.force,
    },
  });
  const bus = deps.sessionStack?.bus;
  if (bus) await bus.announce({ kind: 'pseudonym-key' });
  return { ...result, bus: bus?.kind ?? null };
}
