import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../../src/db/db.js';
import type { Notice } from '../../../src/sessions/bus/bus.js';
import { hashToken } from '../../../src/sessions/tokens.js';
import { type TestServer, startTestServer } from '../../support/app.js';
import type { TestClient } from '../../support/client.js';
import { openTestPglite } from '../../support/pglite.js';
import { testRedisUrl } from '../../support/test-databases.js';
import { redisPrefix, sameSessionOn, signedIn, startFleet, waitFor } from '../scale-out/support.js';

/*
 * "Who am I" serves a member's shops from each server's memory (src/shops/session-shops-cache.ts),
 * forgotten on the `shop.changed` notice. The race it must survive: who-am-I reads in flight on two
 * servers while an owner changes the member's role again and again through either one. A read that
 * started before a change's commit and finished after the notice must not put the old role back: once
 * the change has answered and its notice has reached every server (the bus's propagation), no server
 * shows the old role — neither the next read nor the one after (served from memory). On every store:
 * PGlite (two apps, one database, the in-process bus), a PostgreSQL server (LISTEN/NOTIFY), and a
 * PostgreSQL server with Redis (both carriers), and a PostgreSQL server whose local session cache is off.
 */

interface Pair {
  servers: TestServer[];
  db: Db;
  close(): Promise<void>;
}

async function pgliteServers(): Promise<Pair> {
  const db = await openTestPglite();
  const servers = [
    await startTestServer({ db, env: { COOKIE_SECURE: 'false', LOG_LEVEL: 'silent' } }),
    await startTestServer({ db, env: { COOKIE_SECURE: 'false', LOG_LEVEL: 'silent' } }),
  ];
  return {
    servers,
    db,
    async close() {
      for (const s of servers) await s.close();
      await db.close();
    },
  };
}

const STORES: Record<string, () => Promise<Pair>> = {
  pglite: pgliteServers,
  postgres: () => startFleet(2, {}),
  'postgres+redis': () => startFleet(2, { REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: redisPrefix() }),
  // Sessions read from the store on every request: who-am-I's shops are still cached (they decide nothing).
  'postgres, session cache off': () => startFleet(2, { SESSION_LOCAL_CACHE_SIZE: '0' }),
};

const ROLES = ['viewer', 'manager', 'clerk'] as const;
const ROUNDS = 12;
const READERS_PER_SERVER = 4;

for (const [store, start] of Object.entries(STORES)) {
  describe(`who am I under role changes in flight, two servers (${store})`, () => {
    let pair: Pair;
    before(async () => {
      pair = await start();
      for (const s of pair.servers) assert.ok(s.deps.shopsCache?.enabled, `${s.url}: the who-am-I cache is on`);
    });
    after(() => pair?.close());

    test('a read in flight when a notice drops the user is answered but not remembered (the generation guard)', async () => {
      const [a] = pair.servers as [TestServer];
      const cache = a.deps.shopsCache!;
      const member = await signedIn(a.url);
      // The cache's key is the session's public id; a miss queries by the id hash.
      const whoAmI = await member.client.get<{ session: { id: string } }>('/api/auth/session');
      const session = { id: whoAmI.body.session.id, idHash: hashToken(member.client.token!) };
      // Each round: a miss goes to the database; the user is dropped (a notice) while it is in flight.
      for (let round = 0; round < 5; round++) {
        cache.dropUser(member.id);
        const inFlight = cache.read(member.id, session);
        assert.ok(inFlight instanceof Promise, 'a miss reads the database');
        cache.dropUser(member.id);
        assert.equal((await inFlight).shop?.role, 'owner', 'the read in flight is still answered');
        // Remembered, the next read would be answered from memory (synchronously) with what the
        // dropped read saw, which may predate the change the notice announced.
        const next = cache.read(member.id, session);
        assert.ok(next instanceof Promise, `round ${round}: the read that a drop overtook was remembered`);
        await next;
      }
      // Without a drop in between, the second read is a hit: the cache does remember.
      assert.ok(!(cache.read(member.id, session) instanceof Promise), 'an undisturbed read is remembered');
    });

    test('after a change answered and its notice reached both servers, no server shows the old role', { timeout: 180_000 }, async () => {
      const [a, b] = pair.servers as [TestServer, TestServer];
      const owner = await signedIn(a.url);
      const member = await signedIn(a.url);
      const shopId = (await pair.db.query<{ shop_id: string }>('SELECT shop_id FROM memberships WHERE user_id = $1', [owner.id])).rows[0]!
        .shop_id;
      await pair.db.query(`INSERT INTO memberships (shop_id, user_id, role) VALUES ($1, $2, 'clerk')`, [shopId, member.id]);
      assert.equal((await member.client.post('/api/auth/shop', { shopId })).status, 200);

      // Every `shop.changed` notice for the member, as each server's bus delivered it.
      const heard = pair.servers.map(() => [] as Notice[]);
      pair.servers.forEach((s, i) => {
        s.deps.sessionStack!.bus!.listen({
          onRevocation: () => {},
          onStateChange: () => {},
          onNotice: (n) => {
            if (n.kind === 'shop.changed' && n.userId === member.id) heard[i]!.push(n);
          },
        });
      });

      const on = (s: TestServer): TestClient => sameSessionOn(member.client, s.url);
      const roleOn = async (s: TestServer): Promise<string> => {
        const res = await on(s).get('/api/auth/session');
        assert.equal(res.status, 200, res.text);
        return res.body.shop.role as string;
      };
      for (const s of pair.servers) assert.equal(await roleOn(s), 'clerk');

      // Readers: who-am-I back to back on both servers for the whole test, filling each cache.
      let reading = true;
      let reads = 0;
      const readers = pair.servers.flatMap((s) =>
        Array.from({ length: READERS_PER_SERVER }, async () => {
          const c = on(s);
          while (reading) {
            const res = await c.get('/api/auth/session');
            assert.equal(res.status, 200, res.text);
            reads++;
          }
        }),
      );

      const stale: string[] = [];
      try {
        for (let round = 0; round < ROUNDS; round++) {
          const role = ROLES[round % ROLES.length]!;
          const via = round % 2 === 0 ? a : b;
          const ownerThere = sameSessionOn(owner.client, via.url);
          const readsBefore = reads;
          const changed = await ownerThere.patch(`/api/shop/members/${member.id}`, { role });
          assert.equal(changed.status, 200, changed.text);
          // The bus's propagation: this round's notice has reached every server.
          await waitFor(`round ${round}: the notice reached both servers`, () => heard.every((h) => h.length > round), 30_000);
          // Reads were in flight across the change (otherwise this round tested no race).
          await waitFor(`round ${round}: reads go on`, () => reads > readsBefore + 2 * READERS_PER_SERVER, 30_000);
          for (const s of pair.servers) {
            for (const attempt of ['first', 'second (from memory)']) {
              const seen = await roleOn(s);
              if (seen !== role)
                stale.push(
                  `round ${round} (changed via ${via === a ? 'A' : 'B'}): ${s === a ? 'A' : 'B'} ${attempt} read ${seen}, not ${role}`,
                );
            }
          }
        }
      } finally {
        reading = false;
        await Promise.all(readers);
      }
      assert.deepEqual(
        stale,
        [],
        `${stale.length} stale reads after the change answered and its notice arrived (${reads} reads in flight in all)`,
      );
    });
  });
}
