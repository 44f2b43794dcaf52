import { createHmac } from 'node:crypto';
import type { Queryable } from '../db/db.js';

/**
 * Pseudonyms: HMAC-SHA-256 under this installation's secret key (made by migration 003, kept in the
 * database so every server of one installation agrees). Used where we must recognise a value again
 * without storing it: a username or client address in a rate-limit key, a deleted user in audit rows.
 * A plain hash would not do: usernames, and passwords typed into the username field, fall to a
 * dictionary; without the key they do not.
 *
 * The key is read once per process. A missing key (migrations not applied) is an error, never a silent
 * fallback to an unkeyed hash.
 */
export class Pseudonyms {
  private key: Promise<Buffer> | undefined;

  constructor(private readonly db: Queryable) {}

  /** 128 bits of HMAC, base64url (22 chars); `kind` separates domains ("user", "username", "address"). */
  async of(kind: string, value: string): Promise<string> {
    const key = await this.loadKey();
    return createHmac('sha256', key).update(`${kind}\u0000${value}`).digest().subarray(0, 16).toString('base64url');
  }

  private loadKey(): Promise<Buffer> {
    this.key ??= (async () => {
      const res = await this.db.query<{ value: string }>(`SELECT value FROM install_secrets WHERE name = 'pseudonym_key'`);
      const value = res.rows[0]?.value;
      if (!value) throw new Error('install_secrets.pseudonym_key is missing: run the migrations');
      return Buffer.from(value, 'utf8');
    })();
    // A failed read (database briefly down) must not poison every later call.
    this.key.catch(() => {
      this.key = undefined;
    });
    return this.key;
  }
}
