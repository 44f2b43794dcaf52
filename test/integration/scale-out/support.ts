import { setTimeout as sleep } from 'node:timers/promises';
import { ensureAdmin } from '../../../src/auth/bootstrap-admin.js';
import { Users } from '../../../src/auth/users.js';
import { type Config, loadConfig } from '../../../src/config.js';
import type { Db } from '../../../src/db/db.js';
import { openPostgres } from '../../../src/db/postgres.js';
import { createRedisClient, type RedisClient } from '../../../src/redis/connection.js';
import { buildSessionStack, type SessionStack } from '../../../src/sessions/stack.js';
import { FanoutBus } from '../../../src/sessions/bus/fanout.js';
import type { RedisBus } from '../../../src/sessions/bus/redis.js';
import type { SessionStore } from '../../../src/sessions/stores/store.js';
import { startTestServer, type TestServer } from '../../support/app.js';
import { PASSWORD, TestClient, uniqueUsername } from '../../support/client.js';
import { createServerDatabase, type ServerDatabase, uniqueName } from '../../support/test-databases.js';

/** Helpers shared by the scale-out tests: configs, stacks, servers over one database, waiting. */

/** A key prefix no other test (or test process) uses on a shared Redis. */
export function redisPrefix(): string {
  return `${uniqueName('so')}:`;
}

export function configFor(env: Record<string, string>): Config {
  return loadConfig({ HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', REGISTER_ADDRESS_MAX: '1000000', ...env });
}

/** A stack built exactly as createDeps builds it; throws if its Redis/bus do not come up. */
export async function readyStack(config: Config, db: Db, truth?: SessionStore): Promise<SessionStack> {
  const stack = buildSessionStack(config, db, truth ? { truth } : {});
  if (!(await stack.ready(10_000))) {
    await stack.close();
    throw new Error(`session stack not ready: ${stack.description}`);
  }
  return stack;
}

export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await sleep(10);
  }
}

/** A row in users, as the session stores need one (the password is never verified here). */
export async function makeUser(db: Db, role: 'merchant' | 'admin' = 'merchant') {
  const users = new Users(db);
  const u = await users.create(uniqueUsername('so'), '$argon2id$v=19$m=19456,t=2,p=1$unused$unused');
  if (role === 'admin') await db.query(`UPDATE users SET role = 'admin' WHERE id = $1`, [u.id]);
  return { id: u.id, username: u.username, role, createdAt: u.createdAt };
}

export interface Fleet {
  readonly servers: TestServer[];
  readonly database: ServerDatabase;
  /** A pool of the test's own on the same database (for SQL the test runs itself). */
  readonly db: Db;
  close(): Promise<void>;
}

/**
 * N Stockade servers in this process on one fresh PostgreSQL database, each with its own pool, its own
 * Redis connections, bus and local cache — everything a separate process would have of its own.
 * `envOf(i)` adds settings for server i alone (e.g. its own route to Redis through a TCP proxy).
 */
export async function startFleet(
  n: number,
  env: Record<string, string>,
  envOf: (i: number) => Record<string, string> = () => ({}),
): Promise<Fleet> {
  const database = await createServerDatabase();
  const db = openPostgres(database.url, { max: 4 });
  const servers: TestServer[] = [];
  const pools: Db[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const pool = openPostgres(database.url);
      pools.push(pool);
      const server = await startTestServer({
        db: pool,
        env: { DATABASE_URL: database.url, COOKIE_SECURE: 'false', LOG_LEVEL: 'silent', ...env, ...envOf(i) },
      });
      servers.push(server);
      const stack = server.deps.sessionStack;
      if (!stack || !(await stack.ready(10_000))) throw new Error(`server ${i}: session stack not ready (${stack?.description})`);
    }
  } catch (err) {
    for (const s of servers) await s.close().catch(() => {});
    for (const p of pools) await p.close().catch(() => {});
    await db.close();
    await database.drop();
    throw err;
  }
  return {
    servers,
    database,
    db,
    async close() {
      for (const s of servers) await s.close().catch(() => {});
      for (const p of pools) await p.close().catch(() => {});
      await db.close();
      await database.drop();
    },
  };
}

/** A client of `url` signed in as a new merchant (one argon2 hash: keep the count small). */
export async function signedIn(url: string): Promise<{ client: TestClient; id: string; username: string }> {
  const client = new TestClient(url, { secureCookie: false });
  const user = await client.register();
  return { client, id: user.id, username: user.username };
}

/** A signed-in admin (made the way the bootstrap admin is made). */
export async function signedInAdmin(server: TestServer, url = server.url) {
  const username = uniqueUsername('admin');
  await ensureAdmin(server.deps.users, server.deps.authenticator, username, PASSWORD);
  const client = new TestClient(url, { secureCookie: false });
  const res = await client.login(username);
  if (res.status !== 200) throw new Error(`admin login: ${res.status} ${res.text}`);
  return { client, id: res.body.user.id as string, username };
}

/** The same cookie and CSRF token, aimed at another server. */
export function sameSessionOn(client: TestClient, url: string): TestClient {
  const c = new TestClient(url, { secureCookie: false });
  c.token = client.token;
  c.csrfToken = client.csrfToken;
  return c;
}

/** p-th percentile (0..100) of a list of numbers. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

/** A plain client for the test's own look into Redis, connected before it is returned. */
export async function rawRedis(urls: readonly string[]): Promise<RedisClient> {
  const client = createRedisClient(urls, { commandTimeoutMs: 5000 });
  await waitFor('test redis client ready', () => client.status === 'ready');
  return client;
}

/** The Redis pub/sub carrier of a stack with Redis (alone, or beside PostgreSQL in a fan-out bus). */
export function redisCarrier(stack: SessionStack | undefined): RedisBus {
  const bus = stack?.bus;
  if (!bus || (bus.kind !== 'redis' && bus.kind !== 'redis+postgres')) throw new Error(`no Redis bus: ${stack?.description}`);
  return (bus instanceof FanoutBus ? bus.fast : bus) as RedisBus;
}
