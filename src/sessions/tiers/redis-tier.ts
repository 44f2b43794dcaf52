import { randomBytes } from 'node:crypto';
import { Cluster } from 'ioredis';
import { dataNodes, isOutOfMemory, type RedisClient } from '../../redis/connection.js';
import { LuaScript } from '../../redis/script.js';
import { decodeSession, encodeRenewal, encodeSession, OFFSET } from './redis-codec.js';
import type { StoredSession } from '../stores/store.js';

/**
 * The Redis tier of the session store: a cache of PostgreSQL rows, never the truth (tiers/redis-tiered-store.ts
 * decides when to use it; this file only speaks Redis). One kind of key, under the deployment's prefix
 * (REDIS_KEY_PREFIX):
 *
 *   <prefix>s<16 bytes>   a session: the first 16 bytes of SHA-256(token) → the compact value of
 *                         redis-codec.ts; expires at the session's idle expiry (never past the absolute)
 *
 * No per-user index (there was one, `<prefix>i…`, until issue 20: a one-member sorted set cost 104 B,
 * two fifths of a session). "Revoke every session of a user" learns the user's sessions from
 * PostgreSQL, the truth: the `DELETE … RETURNING id_hash` that ends them names them, and exactly those
 * keys are deleted here (`deleteMany`).
 *
 * Why 16 bytes: the key is the single biggest item of a session's footprint after the value, and 128 bits
 * of SHA-256 still take 2^128 work to hit a given session (and ~2^64 live sessions to see one collision).
 * The full 32-byte hash never needs to be in Redis: callers look up with it and get it back.
 *
 * Cluster: every command and every script touches exactly ONE key, so keys need no hash tags and a
 * user's sessions spread over all shards (one heavy user cannot make a hot shard). "Revoke all of a user"
 * is one delete per session PostgreSQL named, each on the node that owns it; racing fills are made safe
 * by the fill protocol below, not by atomicity across keys.
 *
 * The fill protocol (read-through without resurrection). A miss is refilled from PostgreSQL in three
 * steps: (1) write a short-lived PENDING marker (SET NX), (2) read PostgreSQL again, (3) commit the value
 * only if our marker is still there (Lua compare-and-set), else give up. A revoker deletes in PostgreSQL
 * first — learning from that same statement which sessions it ended — then deletes their keys. Either
 * the second read (2) comes after the deletion, sees nothing and nothing is committed; or it came before,
 * so the row was still there when the revoker's DELETE ran and the revoker names this key: its delete,
 * which follows its DELETE and so our marker (1), removes the marker or the committed value, and a commit
 * after it finds no marker. Readers treat a PENDING marker as a miss, so an uncommitted value is never
 * served.
 */

/** A fill that died half-way blocks refills of that key for this long (readers use PostgreSQL meanwhile). */
const PENDING_TTL_MS = 5000;

export type RedisLookup =
  | { kind: 'hit'; value: StoredSession }
  /** Nothing there: the caller may fill. */
  | { kind: 'miss' }
  /** Another request is filling this key: read PostgreSQL, do not fill. */
  | { kind: 'filling' };

/** SET only over our own PENDING marker (a revoker's DEL in between wins). */
const COMMIT = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PXAT', ARGV[3])
  return 1
end
return 0`);

const ABORT = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);

/**
 * Renewal: conditional, like PostgreSQL's UPDATE … WHERE. Only a committed value (first byte ≥ 0x80)
 * that is still live at the renewal time, and only forward in time (a slow renewal never rolls a newer
 * one back). A missing key stays missing: never an upsert. ARGV: lastSeenAt ms, new expiry ms, the 11
 * bytes of encodeRenewal to splice in at their fixed offset (redis-codec.ts has the layout).
 */
const TOUCH = new LuaScript(`
local v = redis.call('GET', KEYS[1])
if not v or string.byte(v, 1) < 128 then return 0 end
local function num(i, n)
  local x = 0
  for k = i, i + n - 1 do x = x * 256 + string.byte(v, k) end
  return x
end
local seen = tonumber(ARGV[1])
local last = num(${OFFSET.lastSeenAt + 1}, 6)
if last + num(${OFFSET.idleDelta + 1}, 5) <= seen then return 0 end
if num(${OFFSET.createdAt + 1}, 6) + num(${OFFSET.absoluteDelta + 1}, 5) <= seen then return 0 end
if last >= seen then return 0 end
redis.call('SET', KEYS[1], string.sub(v, 1, ${OFFSET.lastSeenAt}) .. ARGV[3] .. string.sub(v, ${OFFSET.createdAt + 1}), 'PXAT', ARGV[2])
return 1`);

/** Keys per UNLINK on a single server (one command, not thousands; small enough not to stall Redis). */
const UNLINK_BATCH = 500;

export interface RedisSessionCacheOptions {
  /** Namespace of every key (REDIS_KEY_PREFIX); no glob characters. */
  keyPrefix: string;
  /** Real time for TTL decisions (Redis expires keys on its own clock). */
  now?: () => number;
}

export class RedisSessionCache {
  private readonly prefix: Buffer;
  private readonly now: () => number;

  constructor(
    private readonly client: RedisClient,
    opts: RedisSessionCacheOptions,
  ) {
    if (/[*?[\]\\]/.test(opts.keyPrefix)) throw new Error('redis key prefix must not contain * ? [ ] \\');
    this.prefix = Buffer.from(opts.keyPrefix, 'utf8');
    this.now = opts.now ?? Date.now;
  }

  sessionKey(idHash: Buffer): Buffer {
    return Buffer.concat([this.prefix, Buffer.from('s'), idHash.subarray(0, 16)]);
  }

  async get(idHash: Buffer): Promise<RedisLookup> {
    const v = await this.client.getBuffer(this.sessionKey(idHash));
    if (!v) return { kind: 'miss' };
    if (v[0]! < 0x80) return { kind: 'filling' };
    try {
      return { kind: 'hit', value: decodeSession(idHash, v) };
    } catch {
      // A value we cannot read (another version, corruption) is never a session: read the truth.
      return { kind: 'filling' };
    }
  }

  /**
   * Step 1 of a fill: claim the key with a PENDING marker. Null when the key is taken (a value or
   * another fill), or Redis is full: the caller then simply does not fill.
   */
  async beginFill(idHash: Buffer): Promise<Buffer | null> {
    const marker = Buffer.concat([Buffer.from([0]), randomBytes(8)]);
    try {
      return (await this.client.set(this.sessionKey(idHash), marker, 'PX', PENDING_TTL_MS, 'NX')) === 'OK' ? marker : null;
    } catch (err) {
      if (isOutOfMemory(err)) return null;
      throw err;
    }
  }

  /** Step 3: the value read after step 1 replaces our marker, if the marker is still ours. */
  async commitFill(marker: Buffer, found: StoredSession): Promise<boolean> {
    const s = found.session;
    const expiresAt = Math.min(s.idleExpiresAt.getTime(), s.absoluteExpiresAt.getTime());
    if (expiresAt <= this.now()) {
      await this.abortFill(s.idHash, marker);
      return false;
    }
    let value: Buffer;
    try {
      value = encodeSession(s, found.user);
    } catch {
      // A time the codec cannot hold exactly (a lifetime of decades): this session is not cached.
      await this.abortFill(s.idHash, marker);
      return false;
    }
    try {
      return (await COMMIT.run(this.client, this.sessionKey(s.idHash), [marker, value, expiresAt])) === 1;
    } catch (err) {
      if (!isOutOfMemory(err)) throw err;
      await this.abortFill(s.idHash, marker);
      return false;
    }
  }

  async abortFill(idHash: Buffer, marker: Buffer): Promise<void> {
    await ABORT.run(this.client, this.sessionKey(idHash), [marker]);
  }

  /** Conditional renewal; false when there was nothing live (and newer) to renew. */
  async touch(idHash: Buffer, lastSeenAt: Date, idleExpiresAt: Date): Promise<boolean> {
    let renewal: Buffer;
    try {
      renewal = encodeRenewal(lastSeenAt, idleExpiresAt);
    } catch {
      // Not representable (an idle expiry before lastSeenAt): drop the copy rather than keep a stale one.
      await this.delete(idHash);
      return false;
    }
    try {
      return (await TOUCH.run(this.client, this.sessionKey(idHash), [lastSeenAt.getTime(), idleExpiresAt.getTime(), renewal])) === 1;
    } catch (err) {
      // Full: the copy stays one renewal older, which only makes the engine renew again sooner.
      if (isOutOfMemory(err)) return false;
      throw err;
    }
  }

  /** Removes one session. */
  async delete(idHash: Buffer): Promise<void> {
    await this.client.unlink(this.sessionKey(idHash));
  }

  /**
   * Removes the sessions named — token hashes, or their first 16 bytes (what a bus message carries):
   * the sessions PostgreSQL's `DELETE … RETURNING` just ended (a user's, at revoke-all). Resolves once
   * every key is gone; a failure rejects, and the caller (the breaker) redoes the whole call.
   */
  async deleteMany(idHashes: readonly Buffer[]): Promise<void> {
    if (idHashes.length === 0) return;
    const keys = idHashes.map((h) => this.sessionKey(h));
    if (this.client instanceof Cluster) {
      // One command per key: on a cluster the keys live in different slots.
      await Promise.all(keys.map((k) => this.client.unlink(k)));
      return;
    }
    const batches: Promise<number>[] = [];
    for (let i = 0; i < keys.length; i += UNLINK_BATCH) batches.push(this.client.unlink(...keys.slice(i, i + UNLINK_BATCH)));
    await Promise.all(batches);
  }

  /**
   * Deletes every key under the prefix on every data node (SCAN, never KEYS). Used when Redis may hold
   * something a failed delete left behind; returns how many keys went.
   */
  async flush(): Promise<number> {
    return this.unlinkMatching([`${this.prefix.toString('utf8')}*`]);
  }

  /**
   * Deletes every session key ("sign everyone out"), and nothing else under the prefix:
   * throttling records (`<prefix>r:…`, `<prefix>rx`) must survive, or signing everyone out would also
   * lift every lockout. Safe against racing fills by the same argument as deleteMany: the caller has
   * deleted the rows in PostgreSQL first, so a fill that claimed its key before this SCAN began has its
   * marker found and deleted (SCAN returns every key present for the whole scan), and one that claims
   * later reads PostgreSQL after the delete and aborts.
   */
  async flushSessions(): Promise<number> {
    const p = this.prefix.toString('utf8');
    // 's': sessions; 'i' / 'I': the per-user indexes that versions before issue 20 kept (a Redis still
    // holding some after an upgrade loses them here; untouched, they expire with their sessions).
    return this.unlinkMatching([`${p}s*`, `${p}i*`, `${p}I*`]);
  }

  private async unlinkMatching(patterns: string[]): Promise<number> {
    let n = 0;
    for (const node of dataNodes(this.client)) {
      for (const match of patterns) {
        let cursor = '0';
        do {
          const [next, keys] = await node.scanBuffer(cursor, 'MATCH', match, 'COUNT', 1000);
          cursor = next.toString();
          if (keys.length > 0) {
            // Keys of one node can still be in different slots: one UNLINK each, pipelined.
            const p = node.pipeline();
            for (const k of keys) p.unlink(k);
            await p.exec();
            n += keys.length;
          }
        } while (cursor !== '0');
      }
    }
    return n;
  }
}
