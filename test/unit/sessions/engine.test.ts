import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { SessionEngine, type SessionPolicy } from '../../../src/sessions/engine.js';
import { MemorySessionStore } from '../../../src/sessions/memory-store.js';
import type { SessionUser } from '../../../src/sessions/session.js';
import { csrfTokenFor, hashToken } from '../../../src/sessions/tokens.js';

/** A real memory store that counts the writes the engine asks of it (the throttle is about writes). */
class CountingStore extends MemorySessionStore {
  touches = 0;
  override async touch(idHash: Buffer, lastSeenAt: Date, idleExpiresAt: Date) {
    this.touches++;
    return super.touch(idHash, lastSeenAt, idleExpiresAt);
  }
}

const POLICY: SessionPolicy = {
  idleTimeout: 30 * 60,
  absoluteTimeout: 12 * 3600,
  rememberIdleTimeout: 7 * 86400,
  rememberTimeout: 30 * 86400,
  maxPerUser: 3,
};
const user: SessionUser = { id: 'u1', username: 'alice', role: 'merchant', createdAt: new Date(0) };
const client = { userAgent: 'Firefox on Linux', ip: '192.0.2.0/24' };

describe('SessionEngine', () => {
  let now: number;
  let store: CountingStore;
  let engine: SessionEngine;
  beforeEach(() => {
    now = Date.parse('2026-01-01T00:00:00Z');
    store = new CountingStore();
    engine = new SessionEngine(store, POLICY, () => now);
  });
  /** A session for an enabled user: the engine answers null only for a disabled one. */
  const start = async (...args: Parameters<SessionEngine['create']>) => {
    const created = await engine.create(...args);
    assert.ok(created);
    return created;
  };

  test('a new session: 43-char token, stored only as its hash, CSRF token derived and different', async () => {
    const created = await start(user, client);
    assert.match(created.token, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(created.session.idHash.equals(hashToken(created.token)));
    assert.equal(created.csrfToken, csrfTokenFor(created.token));
    assert.notEqual(created.csrfToken, created.token);
    assert.notEqual(created.session.id, created.token);
    const again = await start(user, client);
    assert.notEqual(again.token, created.token);
  });

  test('validation refuses malformed, unknown and flipped tokens', async () => {
    const { token } = await start(user, client);
    assert.ok(await engine.validate(token));
    assert.equal(await engine.validate('nope'), null);
    assert.equal(await engine.validate(`${token}x`), null);
    const flipped = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    assert.equal(await engine.validate(flipped), null);
  });

  test('idle timeout: activity slides it, silence ends it', async () => {
    const { token } = await start(user, client);
    now += 20 * 60_000;
    assert.ok(await engine.validate(token), 'active after 20 minutes');
    now += 20 * 60_000;
    assert.ok(await engine.validate(token), 'the previous request slid the idle expiry');
    now += 31 * 60_000;
    assert.equal(await engine.validate(token), null, 'dead after 31 quiet minutes');
  });

  test('absolute timeout ends a session whatever its activity', async () => {
    const { token } = await start(user, client);
    for (let t = 0; t < 12 * 60; t += 10) {
      now += 10 * 60_000;
      const ok = await engine.validate(token);
      if (t + 10 < 12 * 60) assert.ok(ok, `alive at ${t + 10} min`);
      else assert.equal(ok, null, 'dead at 12 h');
    }
  });

  test('renewal writes at most once per min(60 s, idle/10)', async () => {
    const { token } = await start(user, client);
    for (let i = 0; i < 59; i++) {
      now += 1000;
      await engine.validate(token);
    }
    assert.equal(store.touches, 0, 'no write inside the first minute');
    now += 1000;
    await engine.validate(token);
    assert.equal(store.touches, 1);
    for (let i = 0; i < 600; i++) {
      now += 1000;
      await engine.validate(token);
    }
    assert.equal(store.touches, 11, 'one write a minute at one request a second');
  });

  test('the idle window never outlives the absolute one', async () => {
    const { token, session } = await start(user, client);
    const end = session.absoluteExpiresAt.getTime();
    let s = await engine.validate(token);
    while (now < end - 20 * 60_000) {
      now += 20 * 60_000;
      s = await engine.validate(token);
      assert.ok(s);
    }
    now = end - 5 * 60_000;
    s = await engine.validate(token);
    assert.ok(s);
    assert.equal(s.session.idleExpiresAt.getTime(), end, 'clamped to the absolute expiry');
  });

  test('remember me: longer lifetimes and a cookie max-age equal to the absolute lifetime left', async () => {
    const { session } = await start(user, client, true);
    assert.equal(session.absoluteExpiresAt.getTime() - now, 30 * 86400_000);
    assert.equal(session.idleExpiresAt.getTime() - now, 7 * 86400_000);
    assert.equal(engine.cookieMaxAge(session), 30 * 86400);
  });

  test('rotation: new token, old one dead, absolute lifetime kept, re-auth moves authenticatedAt', async () => {
    const created = await start(user, client);
    now += 5 * 60_000;
    const auth = await engine.validate(created.token);
    assert.ok(auth);
    const rotated = await engine.rotate(auth, { reauthenticated: true });
    assert.ok(rotated);
    assert.equal(await engine.validate(created.token), null);
    const after = await engine.validate(rotated.token);
    assert.ok(after);
    assert.equal(after.session.id, created.session.id, 'the same session, a new secret');
    assert.equal(after.session.absoluteExpiresAt.getTime(), created.session.absoluteExpiresAt.getTime());
    assert.equal(after.session.authenticatedAt.getTime(), now);
    assert.notEqual(rotated.csrfToken, created.csrfToken);
  });

  test('revocation: one, by id (own only), all of a user but the current', async () => {
    const a = await start(user, client);
    const b = await start(user, client);
    const c = await start(user, client);
    assert.equal(await engine.revokeById('someone-else', b.session.id), false);
    assert.equal(await engine.revokeById(user.id, b.session.id), true);
    assert.equal(await engine.validate(b.token), null);
    assert.equal(await engine.revokeUser(user.id, a.session), 1);
    assert.equal(await engine.validate(c.token), null);
    assert.ok(await engine.validate(a.token));
    assert.ok(await engine.revokeToken(a.token));
    assert.equal(await engine.validate(a.token), null);
  });

  test('at most maxPerUser sessions: the oldest goes', async () => {
    const first = await start(user, client);
    now += 1000;
    await start(user, client);
    now += 1000;
    await start(user, client);
    now += 1000;
    await start(user, client);
    assert.equal(await engine.validate(first.token), null);
    assert.equal((await engine.list(user.id)).length, 3);
  });

  test('S-72: no session for a user disabled since the caller read them; the role is the stored one', async () => {
    store.changeRole(user.id, 'admin');
    const promoted = await start(user, client);
    assert.equal(promoted.user.role, 'admin', 'the role the store holds, not the snapshot handed in');
    assert.equal((await engine.validate(promoted.token))?.user.role, 'admin');
    store.disableUser(user.id);
    assert.equal(await engine.create(user, client), null);
    store.disableUser(user.id, false);
    assert.ok(await engine.create(user, client));
  });
});
