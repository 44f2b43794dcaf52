import { createHash } from 'node:crypto';
import type { RedisClient } from './connection.js';

/**
 * A Lua script run by SHA (EVALSHA), loaded on first use or after a server restart (NOSCRIPT). Every
 * script in Stockade touches exactly one key, so on a cluster it runs on the node owning that key's
 * slot and never trips CROSSSLOT.
 */
export class LuaScript {
  readonly sha: string;

  constructor(readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(client: RedisClient, key: Buffer | string, args: (Buffer | string | number)[]): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, 1, key, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return client.eval(this.lua, 1, key, ...args);
    }
  }
}
