import type { Db } from '../../../src/db/db.js';
import { openPostgres } from '../../../src/db/postgres.js';
import { MemorySessionStore } from '../../../src/sessions/stores/memory.js';
import type { SessionStack } from '../../../src/sessions/stack.js';
import type { SessionUser } from '../../../src/auth/user.js';
import { openTestPglite } from '../../support/pglite.js';
import { createServerDatabase, testRedisUrl } from '../../support/test-databases.js';
import { runStoreContract, type StoreFixture } from '../sessions/store-contract.js';
import { configFor, makeUser, readyStack, redisPrefix } from './support.js';

/**
 * The session store contract (test/integration/sessions/store-contract.ts) on every stack the
 * scale-out layer builds. The plain memory and PostgreSQL stores run in sessions/store-contract.test.ts.
 *
 * How a cached stack learns that a user was disabled: the way the app does it (auth/accounts.ts), the
 * flag in PostgreSQL plus `deleteUser` — with a cache in front, a disable that skips the store would be
 * served from memory until the next renewal, which is why every disable goes through the engine.
 */

function fixture(stack: SessionStack, db: Db, cleanup: () => Promise<void>): StoreFixture {
  return {
    store: stack.store,
    makeUser: () => makeUser(db),
    disableUser: async (id) => {
      await db.query('UPDATE users SET disabled = true WHERE id = $1', [id]);
      await stack.store.deleteUser(id);
    },
    changeRole: async (id, role) => {
      await db.query('UPDATE users SET role = $2 WHERE id = $1', [id, role]);
      await stack.store.deleteUser(id);
    },
    changePassword: async (id) => {
      await db.query('UPDATE users SET password_changed_at = now() WHERE id = $1', [id]);
      await stack.store.deleteUser(id);
    },
    close: async () => {
      await stack.close();
      await cleanup();
    },
  };
}

async function onServerDatabase(env: (url: string) => Record<string, string>): Promise<StoreFixture> {
  const created = await createServerDatabase();
  const db = openPostgres(created.url);
  const stack = await readyStack(configFor(env(created.url)), db);
  return fixture(stack, db, async () => {
    await db.close();
    await created.drop();
  });
}

runStoreContract('embedded PGlite + local cache (in-process bus)', async () => {
  const db = await openTestPglite();
  const stack = await readyStack(configFor({}), db);
  if (!stack.cache?.enabled || stack.bus?.kind !== 'local') throw new Error(`unexpected stack: ${stack.description}`);
  return fixture(stack, db, () => db.close());
});

runStoreContract('PostgreSQL server + local cache (LISTEN/NOTIFY bus)', () => onServerDatabase((url) => ({ DATABASE_URL: url })));

runStoreContract('PostgreSQL server + Redis tier, no local cache', () =>
  onServerDatabase((url) => ({
    DATABASE_URL: url,
    REDIS_URL: testRedisUrl(),
    REDIS_KEY_PREFIX: redisPrefix(),
    SESSION_LOCAL_CACHE_SIZE: '0',
  })),
);

runStoreContract('PostgreSQL server + Redis tier + local cache (Redis bus)', () =>
  onServerDatabase((url) => ({ DATABASE_URL: url, REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: redisPrefix() })),
);

runStoreContract('memory truth + Redis tier + local cache', async () => {
  const truth = new MemorySessionStore();
  const db = await openTestPglite(); // unused by the memory truth; the stack wants a database handle
  const stack = await readyStack(configFor({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: redisPrefix() }), db, truth);
  let n = 0;
  return {
    store: stack.store,
    makeUser: async (): Promise<SessionUser> => ({
      id: `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
      username: `m${n}`,
      role: 'merchant',
      createdAt: new Date(Math.floor(Date.now() / 1000) * 1000),
    }),
    disableUser: async (id) => {
      truth.disableUser(id);
      await stack.store.deleteUser(id);
    },
    changeRole: async (id, role) => {
      truth.changeRole(id, role);
      await stack.store.deleteUser(id);
    },
    changePassword: async (id) => {
      truth.changePassword(id);
      await stack.store.deleteUser(id);
    },
    close: async () => {
      await stack.close();
      await db.close();
    },
  };
});
