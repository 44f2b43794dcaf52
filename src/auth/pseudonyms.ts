import { createHmac } from 'node:crypto';
import type { Queryable } from '../db/db.js';

/**
 * Pseudonyms: HMAC-SHA-256 under this installation's secret key (made by migration 003, kept in the
 * database so every server of one installation agrees). Used where we must recognise a value again
 * without storing it: a username or client address in a rate-limit key, a deleted user in audit rows.
 * A plain hash would not do: usernames, and passwords typed into the username field, fall to a
 * dictionary; without the key they do not.
 *
 * The key can be rotated (`stockade rotate-pseudonym-key`, pseudonym-rotation.ts): the new key becomes
 * current (`pseudonym_key`) and the one before stays in `pseudonym_key_previous` until its grace period
 * ends. New pseudonyms are always made under the current key (`of`); the throttle also consults the
 * records made under the previous one (`variants`), so rotating never forgets a lockout or a failure.
 *
 * The keys are read once and then re-read: when the rotation's message arrives on the revocation bus,
 * when the bus comes back up (a message may have been missed while it was down), and every
 * REFRESH_MS anyway (a server whose bus is dead must not keep a dropped key forever). A previous key
 * past its grace end is ignored at once, whether or not the row is gone yet.
 *
 * A missing current key (migrations not applied) is an error, never a silent fallback to an unkeyed
 * hash. A failed re-read keeps the keys already known (the database may be briefly down).
 */

/** Names of the rows in install_secrets. */
export const CURRENT_KEY = 'pseudonym_key';
export const PREVIOUS_KEY = 'pseudonym_key_previous';

/** How often a server re-reads the keys even without a message (a lost message is healed within this). */
export const REFRESH_MS = 60_000;

export interface PseudonymKeys {
  readonly current: Buffer;
  /** The key before the last rotation, consulted (never used for new pseudonyms) until `until`. */
  readonly previous: { readonly key: Buffer; readonly until: Date } | null;
}

/** The stored form of the previous key (JSON in install_secrets.value). */
export interface StoredPreviousKey {
  key: string;
  until: string;
}

/** What the bus offers a listener of notices (sessions/bus.ts); structural, so this file needs no session code. */
export interface KeyNoticeSource {
  listen(listener: { onRevocation(): void; onStateChange(up: boolean): void; onNotice?(notice: { readonly kind: string }): void }): void;
}

export async function readPseudonymKeys(db: Queryable): Promise<PseudonymKeys> {
  const res = await db.query<{ name: string; value: string }>(`SELECT name, value FROM install_secrets WHERE name IN ($1, $2)`, [
    CURRENT_KEY,
    PREVIOUS_KEY,
  ]);
  const current = res.rows.find((r) => r.name === CURRENT_KEY)?.value;
  if (!current) throw new Error('install_secrets.pseudonym_key is missing: run the migrations');
  const stored = res.rows.find((r) => r.name === PREVIOUS_KEY)?.value;
  let previous: PseudonymKeys['previous'] = null;
  if (stored) {
    const p = JSON.parse(stored) as StoredPreviousKey;
    previous = { key: Buffer.from(p.key, 'utf8'), until: new Date(p.until) };
  }
  return { current: Buffer.from(current, 'utf8'), previous };
}

export class Pseudonyms {
  private loaded: Promise<PseudonymKeys> | undefined;
  private readonly stops: (() => void)[] = [];

  constructor(
    private readonly db: Queryable,
    private readonly clock: () => number = Date.now,
  ) {}

  /** 128 bits of HMAC under the current key, base64url (22 chars); `kind` separates domains ("user", "username", "address"). */
  async of(kind: string, value: string): Promise<string> {
    return hmac((await this.load()).current, kind, value);
  }

  /**
   * The pseudonym under the current key first, then under the previous key while its grace period
   * lasts: the records a check must consult. New records are made under the first only.
   */
  async variants(kind: string, value: string): Promise<string[]> {
    const keys = await this.load();
    const out = [hmac(keys.current, kind, value)];
    if (keys.previous && keys.previous.until.getTime() > this.clock()) out.push(hmac(keys.previous.key, kind, value));
    return out;
  }

  /** `prefix` + each of `variants`: the rate-limit keys of one thing, current first. */
  async keys(prefix: string, kind: string, value: string): Promise<string[]> {
    return (await this.variants(kind, value)).map((p) => `${prefix}${p}`);
  }

  /**
   * Re-reads the keys. True when they changed. A failed read keeps what was known (and throws only if
   * nothing was ever known).
   */
  async refresh(): Promise<boolean> {
    const before = this.loaded ? await this.loaded.catch(() => undefined) : undefined;
    let fresh: PseudonymKeys;
    try {
      fresh = await readPseudonymKeys(this.db);
    } catch (err) {
      if (before) return false;
      throw err;
    }
    this.loaded = Promise.resolve(fresh);
    if (before === undefined) return true;
    return !before.current.equals(fresh.current) || before.previous?.until.getTime() !== fresh.previous?.until.getTime();
  }

  /**
   * Keeps the keys current on a running server: re-read on a `pseudonym-key` notice, on the bus coming
   * (back) up, and every `intervalMs`. The timer is unref()ed; `stop()` (also on close) ends it.
   */
  follow(bus: KeyNoticeSource | undefined, intervalMs = REFRESH_MS, onChange?: () => void): void {
    const again = () => {
      this.refresh()
        .then((changed) => {
          if (changed) onChange?.();
        })
        .catch(() => {});
    };
    let followed = true;
    bus?.listen({
      onRevocation() {},
      onStateChange: (up) => {
        if (up && followed) again();
      },
      onNotice: (notice) => {
        if (notice.kind === 'pseudonym-key' && followed) again();
      },
    });
    const timer = setInterval(again, intervalMs);
    timer.unref();
    this.stops.push(() => {
      followed = false;
      clearInterval(timer);
    });
  }

  stop(): void {
    for (const s of this.stops.splice(0)) s();
  }

  private load(): Promise<PseudonymKeys> {
    if (this.loaded) return this.loaded;
    const loading = readPseudonymKeys(this.db);
    this.loaded = loading;
    // A failed read (database briefly down) must not poison every later call.
    loading.catch(() => {
      if (this.loaded === loading) this.loaded = undefined;
    });
    return loading;
  }
}

function hmac(key: Buffer, kind: string, value: string): string {
  return createHmac('sha256', key).update(`${kind}\u0000${value}`).digest().subarray(0, 16).toString('base64url');
}
