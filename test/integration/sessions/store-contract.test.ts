import { Users } from '../../../src/auth/users.js';
import type { Db } from '../../../src/db/db.js';
import { openPostgres } from '../../../src/db/postgres.js';
import { MemorySessionStore } from '../../../src/sessions/stores/memory.js';
import { PostgresSessionStore } from '../../../src/sessions/stores/postgres.js';
import type { SessionUser } from '../../../src/auth/user.js';
import { uniqueUsername } from '../../support/client.js';
import { openTestPglite } from '../../support/pglite.js';
import { createServerDatabase } from '../../support/test-databases.js';
import { runStoreContract, type StoreFixture } from './store-contract.js';

/** Rows in users for the stores that join on them (password hash irrelevant here: never verified). */
async function userMaker(db: Db): Promise<() => Promise<SessionUser>> {
  const users = new Users(db);
  return async () => {
    const u = await users.create(uniqueUsername('store'), '$argon2id$v=19$m=19456,t=2,p=1$unused$unused');
    return { id: u.id, username: u.username, role: u.role, createdAt: u.createdAt };
  };
}

function postgresFixture(db: Db, cleanup: () => Promise<void>): Promise<StoreFixture> {
  return userMaker(db).then((makeUser) => ({
    store: new PostgresSessionStore(db),
    makeUser,
    disableUser: async (id) => void (await db.query('UPDATE users SET disabled = true WHERE id = $1', [id])),
    changeRole: async (id, role) => void (await db.query('UPDATE users SET role = $2 WHERE id = $1', [id, role])),
    changePassword: async (id) => void (await db.query('UPDATE users SET password_changed_at = now() WHERE id = $1', [id])),
    close: cleanup,
  }));
}

runStoreContract('memory', async () => {
  const store = new MemorySessionStore();
  let n = 0;
  return {
    store,
    makeUser: async () => ({
      id: `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
      username: `m${n}`,
      role: 'merchant',
      createdAt: new Date(),
    }),
    disableUser: async (id) => store.disableUser(id),
    changeRole: async (id, role) => store.changeRole(id, role),
    changePassword: async (id) => store.changePassword(id),
    close: async () => {},
  };
});

runStoreContract('postgres (PGlite)', async () => {
  const db = await openTestPglite();
  return postgresFixture(db, () => db.close());
});

runStoreContract('postgres (server)', async () => {
  const created = await createServerDatabase();
  const db = openPostgres(created.url);
  return postgresFixture(db, async () => {
    await db.close();
    await created.drop();
  });
});
