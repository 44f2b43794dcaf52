import { Authenticator } from './auth/authenticator.js';
import { createHashLimiter, type HashLimiter } from './auth/hash-limiter.js';
import { Users } from './auth/users.js';
import type { Config } from './config.js';
import type { Db } from './db/db.js';
import { SessionEngine } from './sessions/engine.js';
import { PostgresSessionStore } from './sessions/postgres-store.js';
import type { SessionStore } from './sessions/store.js';

/**
 * The composition root: everything the app needs, built from config and an open database. main.ts and
 * the tests build the app the same way; tests may swap a part (e.g. the store) through `overrides`.
 */
export interface AppDeps {
  readonly config: Config;
  readonly db: Db;
  readonly users: Users;
  readonly hashLimiter: HashLimiter;
  readonly authenticator: Authenticator;
  readonly sessionStore: SessionStore;
  readonly sessions: SessionEngine;
  /** Called by close(): stores, buses, timers added by later layers register here. */
  readonly closers: (() => Promise<void>)[];
}

export function createDeps(config: Config, db: Db, overrides: { sessionStore?: SessionStore; clock?: () => number } = {}): AppDeps {
  const users = new Users(db);
  const hashLimiter = createHashLimiter({ concurrency: config.login.hashConcurrency, queue: config.login.hashQueue });
  const sessionStore = overrides.sessionStore ?? new PostgresSessionStore(db);
  const s = config.session;
  const sessions = new SessionEngine(
    sessionStore,
    {
      idleTimeout: s.idleTimeout,
      absoluteTimeout: s.absoluteTimeout,
      rememberIdleTimeout: s.rememberIdleTimeout,
      rememberTimeout: s.rememberTimeout,
      maxPerUser: s.maxPerUser,
    },
    overrides.clock,
  );
  return {
    config,
    db,
    users,
    hashLimiter,
    authenticator: new Authenticator(users, hashLimiter),
    sessionStore,
    sessions,
    closers: [],
  };
}

/** Closes what the deps opened, newest first, then the database. */
export async function closeDeps(deps: AppDeps): Promise<void> {
  for (const close of [...deps.closers].reverse()) await close();
  await deps.sessionStore.close?.();
  await deps.db.close();
}
