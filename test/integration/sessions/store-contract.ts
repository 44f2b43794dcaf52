import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Role, SessionUser } from '../../../src/auth/user.js';
import type { SessionRecord } from '../../../src/sessions/session.js';
import type { SessionStore } from '../../../src/sessions/stores/store.js';
import { hashToken, newPublicId, newToken } from '../../../src/sessions/tokens.js';

/**
 * One contract, every SessionStore (Django runs the same session tests on each backend). A store that
 * passes this can sit under the engine; a store that fails it can lose or resurrect sessions.
 */
export interface StoreFixture {
  store: SessionStore;
  /** A user the store can reference (a real row for PostgreSQL-backed stores). */
  makeUser(): Promise<SessionUser>;
  /** Marks the user disabled the way the app does it (accounts.ts: the flag, then the user's sessions revoked). */
  disableUser(userId: string): Promise<void>;
  /** Gives the user another role, the way the app does it (the row, then the user's sessions revoked). */
  changeRole(userId: string, role: Role): Promise<void>;
  /** Sets a new password the way a reset does (password_changed_at now, then the user's sessions revoked). */
  changePassword(userId: string): Promise<void>;
  close(): Promise<void>;
}

const MINUTE = 60_000;

export function sessionFor(user: SessionUser, at = Date.now(), overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    idHash: hashToken(newToken()),
    id: newPublicId(),
    userId: user.id,
    createdAt: new Date(at),
    lastSeenAt: new Date(at),
    authenticatedAt: new Date(at),
    idleExpiresAt: new Date(at + 30 * MINUTE),
    absoluteExpiresAt: new Date(at + 720 * MINUTE),
    remember: false,
    userAgent: 'Firefox on Linux',
    ip: '192.0.2.0/24',
    ...overrides,
  };
}

export function runStoreContract(name: string, open: () => Promise<StoreFixture>): void {
  describe(`SessionStore contract: ${name}`, () => {
    let fx: StoreFixture;
    let store: SessionStore;
    before(async () => {
      fx = await open();
      store = fx.store;
    });
    after(async () => fx.close());

    test('create then get returns the record and a user snapshot', async () => {
      const user = await fx.makeUser();
      const s = sessionFor(user);
      const created = await store.create(s, user, 10);
      assert.deepEqual(created?.evicted, []);
      assert.equal(created?.user.role, user.role);
      const got = await store.get(s.idHash);
      assert.ok(got);
      assert.equal(got.session.id, s.id);
      assert.ok(got.session.idHash.equals(s.idHash));
      assert.equal(got.session.userId, user.id);
      assert.equal(got.session.idleExpiresAt.getTime(), s.idleExpiresAt.getTime());
      assert.equal(got.session.absoluteExpiresAt.getTime(), s.absoluteExpiresAt.getTime());
      assert.equal(got.session.ip, s.ip);
      assert.equal(got.user.id, user.id);
      assert.equal(got.user.username, user.username);
      assert.equal(got.user.role, user.role);
    });

    test('an unknown hash is null', async () => {
      assert.equal(await store.get(hashToken(newToken())), null);
    });

    test('get returns an expired row as stored: the engine judges expiry, not the store', async () => {
      const user = await fx.makeUser();
      const past = Date.now() - 60 * MINUTE;
      // One past its idle expiry, one past its absolute expiry (idle still ahead): each a different check in the engine.
      const idle = sessionFor(user, past, { idleExpiresAt: new Date(past + MINUTE) });
      const absolute = sessionFor(user, past - 720 * MINUTE, {
        idleExpiresAt: new Date(Date.now() + 10 * MINUTE),
        absoluteExpiresAt: new Date(past),
      });
      for (const s of [idle, absolute]) {
        await store.create(s, user, 10);
        // Twice: a tier that caches must answer the same from its copy as from the truth.
        for (const read of ['first', 'second']) {
          const got = await store.get(s.idHash);
          assert.ok(got, `${read} read: the expired row is returned`);
          assert.equal(got.session.id, s.id);
          assert.equal(got.session.idleExpiresAt.getTime(), s.idleExpiresAt.getTime(), `${read} read: idle expiry as stored`);
          assert.equal(got.session.absoluteExpiresAt.getTime(), s.absoluteExpiresAt.getTime(), `${read} read: absolute expiry as stored`);
          assert.equal(got.session.lastSeenAt.getTime(), s.lastSeenAt.getTime());
          assert.equal(got.user.id, user.id);
        }
      }
    });

    test('delete of an unknown hash is null, and a second delete of a known one too', async () => {
      assert.equal(await store.delete(hashToken(newToken())), null, 'never existed');
      const user = await fx.makeUser();
      const s = sessionFor(user);
      await store.create(s, user, 10);
      assert.equal((await store.delete(s.idHash))?.id, s.id, 'the first delete reports what it removed');
      assert.equal(await store.delete(s.idHash), null, 'already gone');
      assert.equal(await store.get(s.idHash), null);
    });

    test('touch moves the idle expiry of a live session', async () => {
      const user = await fx.makeUser();
      const s = sessionFor(user);
      await store.create(s, user, 10);
      const seen = new Date(Date.now() + 1000);
      const idle = new Date(Date.now() + 40 * MINUTE);
      assert.equal(await store.touch(s.idHash, seen, idle), true);
      const got = await store.get(s.idHash);
      assert.equal(got?.session.idleExpiresAt.getTime(), idle.getTime());
      assert.equal(got?.session.lastSeenAt.getTime(), seen.getTime());
    });

    test('touch never recreates a deleted session', async () => {
      const user = await fx.makeUser();
      const s = sessionFor(user);
      await store.create(s, user, 10);
      assert.ok(await store.delete(s.idHash));
      assert.equal(await store.touch(s.idHash, new Date(), new Date(Date.now() + MINUTE)), false);
      assert.equal(await store.get(s.idHash), null);
    });

    test('touch refuses a session already past its expiry', async () => {
      const user = await fx.makeUser();
      const past = Date.now() - 60 * MINUTE;
      const s = sessionFor(user, past, { idleExpiresAt: new Date(past + MINUTE) });
      await store.create(s, user, 10);
      assert.equal(await store.touch(s.idHash, new Date(), new Date(Date.now() + 30 * MINUTE)), false);
    });

    test('rotate swaps the hash atomically; a gone session is not rotated into life', async () => {
      const user = await fx.makeUser();
      const s = sessionFor(user);
      await store.create(s, user, 10);
      const next = { ...s, idHash: hashToken(newToken()) };
      assert.equal(await store.rotate(s.idHash, next), true);
      assert.equal(await store.get(s.idHash), null);
      assert.equal((await store.get(next.idHash))?.session.id, s.id);

      const third = { ...s, idHash: hashToken(newToken()) };
      assert.equal(await store.rotate(s.idHash, third), false, 'the old hash is gone');
      assert.equal(await store.get(third.idHash), null);
    });

    test('deleteById only reaches the named user’s sessions', async () => {
      const alice = await fx.makeUser();
      const bob = await fx.makeUser();
      const s = sessionFor(alice);
      await store.create(s, alice, 10);
      assert.equal(await store.deleteById(bob.id, s.id), null);
      assert.ok(await store.get(s.idHash));
      assert.equal((await store.deleteById(alice.id, s.id))?.id, s.id);
      assert.equal(await store.get(s.idHash), null);
    });

    test('deleteUser removes all of a user’s sessions but the one kept, and nobody else’s, and names them', async () => {
      const alice = await fx.makeUser();
      const bob = await fx.makeUser();
      const a = [sessionFor(alice), sessionFor(alice), sessionFor(alice)];
      const b = sessionFor(bob);
      for (const s of a) await store.create(s, alice, 10);
      await store.create(b, bob, 10);
      const named = (hashes: Buffer[]) => hashes.map((h) => h.toString('hex')).sort();
      assert.deepEqual(named(await store.deleteUser(alice.id, a[0]!.idHash)), named([a[1]!.idHash, a[2]!.idHash]));
      assert.ok(await store.get(a[0]!.idHash));
      assert.equal(await store.get(a[1]!.idHash), null);
      assert.equal(await store.get(a[2]!.idHash), null);
      assert.ok(await store.get(b.idHash));
      assert.deepEqual(named(await store.deleteUser(alice.id)), named([a[0]!.idHash]));
      assert.deepEqual(await store.deleteUser(alice.id), []);
      assert.equal(await store.get(a[0]!.idHash), null);
    });

    test('deleteAll removes every session of every user and counts them', async () => {
      const alice = await fx.makeUser();
      const bob = await fx.makeUser();
      const all = [sessionFor(alice), sessionFor(alice), sessionFor(bob)];
      for (const s of all) await store.create(s, s.userId === alice.id ? alice : bob, 10);
      for (const s of all) assert.ok(await store.get(s.idHash), 'read once (cached by the tiers that cache)');
      assert.ok((await store.deleteAll()) >= all.length);
      for (const s of all) assert.equal(await store.get(s.idHash), null);
      assert.deepEqual(await store.listUser(alice.id), []);
      assert.equal(await store.deleteAll(), 0);
    });

    test('listUser lists one user’s sessions, most recently seen first', async () => {
      const user = await fx.makeUser();
      const older = sessionFor(user, Date.now() - 5000);
      const newer = sessionFor(user);
      await store.create(older, user, 10);
      await store.create(newer, user, 10);
      const list = await store.listUser(user.id);
      assert.deepEqual(
        list.map((s) => s.id),
        [newer.id, older.id],
      );
    });

    test('create beyond maxPerUser evicts the oldest and reports it', async () => {
      const user = await fx.makeUser();
      const first = sessionFor(user, Date.now() - 3000);
      const second = sessionFor(user, Date.now() - 2000);
      const third = sessionFor(user, Date.now() - 1000);
      await store.create(first, user, 2);
      await store.create(second, user, 2);
      const created = await store.create(third, user, 2);
      assert.deepEqual(
        created?.evicted.map((s) => s.id),
        [first.id],
      );
      assert.equal(await store.get(first.idHash), null);
      assert.ok(await store.get(third.idHash));
    });

    test('a disabled user’s sessions are not returned', async () => {
      const user = await fx.makeUser();
      const s = sessionFor(user);
      await store.create(s, user, 10);
      await fx.disableUser(user.id);
      assert.equal(await store.get(s.idHash), null);
    });

    test('create writes nothing for a user disabled before it (S-72)', async () => {
      const user = await fx.makeUser();
      await fx.disableUser(user.id);
      const s = sessionFor(user);
      assert.equal(await store.create(s, user, 10), null, 'refused');
      assert.equal(await store.get(s.idHash), null);
      assert.deepEqual(await store.listUser(user.id), [], 'nothing was written');
    });

    test('create writes nothing once the password changed after the one the caller checked (S-72)', async () => {
      const user = await fx.makeUser();
      const checked = new Date(Date.now() - 60_000); // the password the sign-in verified was set before…
      await fx.changePassword(user.id); // …this change (a reset, or the leaked-password playbook)
      assert.equal(await store.create(sessionFor(user), user, 10, checked), null, 'refused');
      assert.deepEqual(await store.listUser(user.id), [], 'nothing was written');
      assert.ok(await store.create(sessionFor(user), user, 10, new Date(Date.now() + 60_000)), 'the current password');
      assert.ok(await store.create(sessionFor(user), user, 10), 'nothing to compare: only the account state counts');
    });

    test('create carries the user as stored now, not the snapshot it was handed (S-72)', async () => {
      const user = await fx.makeUser();
      await fx.changeRole(user.id, 'admin');
      const s = sessionFor(user);
      const created = await store.create(s, user, 10);
      assert.equal(created?.user.role, 'admin', 'the role the store holds, not the stale merchant snapshot');
      assert.equal((await store.get(s.idHash))?.user.role, 'admin');
    });

    for (const change of ['demotion', 'disable'] as const) {
      test(`race (S-72): sign-ins in flight during a ${change} — afterwards no session carries the old state`, async () => {
        for (let round = 0; round < 5; round++) {
          const user = await fx.makeUser();
          await fx.changeRole(user.id, 'admin');
          // What the sign-ins authenticated: read before the change, as a sign-in reads before it hashes.
          const admin: SessionUser = { ...user, role: 'admin' };
          const sessions = Array.from({ length: 24 }, () => sessionFor(admin));
          const creates = sessions.map((s, i) => new Promise((r) => setTimeout(r, i % 6)).then(() => store.create(s, admin, 100)));
          const changed = new Promise((r) => setTimeout(r, round % 3)).then(() =>
            change === 'disable' ? fx.disableUser(user.id) : fx.changeRole(user.id, 'merchant'),
          );
          await Promise.all([...creates, changed]);
          for (const s of sessions) {
            const got = await store.get(s.idHash);
            assert.ok(
              got === null || (change === 'demotion' && got.user.role === 'merchant'),
              `round ${round}: a session kept ${got?.user.role}`,
            );
          }
        }
      });
    }

    test('purgeExpired removes expired sessions only', async () => {
      const user = await fx.makeUser();
      const past = Date.now() - 60 * MINUTE;
      const dead = sessionFor(user, past, { idleExpiresAt: new Date(past + MINUTE) });
      const live = sessionFor(user);
      await store.create(dead, user, 10);
      await store.create(live, user, 10);
      assert.ok((await store.purgeExpired(new Date(), 1000)) >= 1);
      assert.equal(await store.get(dead.idHash), null);
      assert.ok(await store.get(live.idHash));
    });

    test('race: rotations (re-authentication) in flight while all of a user’s sessions are revoked leave none alive', async () => {
      const user = await fx.makeUser();
      for (let round = 0; round < 10; round++) {
        const olds = Array.from({ length: 8 }, () => sessionFor(user));
        for (const s of olds) await store.create(s, user, 100);
        const rotations = olds.map((s) => store.rotate(s.idHash, sessionFor(user)));
        const killed = store.deleteUser(user.id);
        await Promise.all([...rotations, killed]);
        const alive = await store.listUser(user.id);
        assert.deepEqual(
          alive.map((s) => s.id),
          [],
          `round ${round}: a session rotated during the kill switch survived it`,
        );
      }
    });

    // The caches above the truth delete exactly what deleteUser names (the Redis tier has no per-user
    // index, issue 20): with reads refilling them meanwhile, a session it did not name would survive there.
    test('race: reads of many sessions in flight while all of the user’s are revoked: every one named, none readable after', async () => {
      const user = await fx.makeUser();
      for (let round = 0; round < 5; round++) {
        const sessions = Array.from({ length: 40 }, () => sessionFor(user));
        for (const s of sessions) await store.create(s, user, 100);
        const reads = sessions.flatMap((s, i) =>
          [0, 1, 2].map(async (j) => {
            await new Promise((resolve) => setTimeout(resolve, (i + j + round) % 3));
            await store.get(s.idHash);
          }),
        );
        const killed = store.deleteUser(user.id);
        const [gone] = await Promise.all([killed, ...reads]);
        assert.deepEqual(gone.map((h) => h.toString('hex')).sort(), sessions.map((s) => s.idHash.toString('hex')).sort(), `round ${round}`);
        for (const s of sessions) assert.equal(await store.get(s.idHash), null, `round ${round}: a revoked session is readable`);
      }
    });

    test('race: renewals in flight while the session is revoked never bring it back', async () => {
      const user = await fx.makeUser();
      for (let round = 0; round < 20; round++) {
        const s = sessionFor(user);
        await store.create(s, user, 100);
        const later = (i: number) => new Date(Date.now() + i);
        const renewals = Array.from({ length: 20 }, (_, i) => store.touch(s.idHash, later(i), later(30 * MINUTE + i)));
        const revoke = store.delete(s.idHash);
        const more = Array.from({ length: 20 }, (_, i) => store.touch(s.idHash, later(100 + i), later(31 * MINUTE + i)));
        await Promise.all([...renewals, revoke, ...more]);
        assert.equal(await store.get(s.idHash), null, `round ${round}: the revoked session is gone for good`);
        assert.equal(await store.touch(s.idHash, later(500), later(40 * MINUTE)), false);
      }
    });
  });
}
