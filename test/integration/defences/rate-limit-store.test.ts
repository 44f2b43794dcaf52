import { PostgresRateLimitStore } from '../../../src/auth/postgres-rate-limit-store.js';
import { openPostgres } from '../../../src/db/postgres.js';
import { openTestPglite } from '../../support/pglite.js';
import { createServerDatabase } from '../../support/test-databases.js';
import { runRateLimitStoreContract } from './rate-limit-store-contract.js';

runRateLimitStoreContract('postgres (PGlite)', async () => {
  const db = await openTestPglite();
  return { store: new PostgresRateLimitStore(db), close: () => db.close() };
});

runRateLimitStoreContract('postgres (server)', async () => {
  const created = await createServerDatabase();
  const db = openPostgres(created.url);
  return {
    store: new PostgresRateLimitStore(db),
    close: async () => {
      await db.close();
      await created.drop();
    },
  };
});
