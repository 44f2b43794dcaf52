import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LocalSessionCache } from '../../../src/sessions/tiers/local-cache.js';
import type { StoredSession } from '../../../src/sessions/stores/store.js';

function entry(userId: string, lastSeen = 0): StoredSession {
  return {
    session: {
      idHash: Buffer.alloc(32),
      id: 'p',
      userId,
      createdAt: new Date(0),
      lastSeenAt: new Date(lastSeen),
      authenticatedAt: new Date(0),
      idleExpiresAt: new Date(lastSeen + 1000),
      absoluteExpiresAt: new Date(10_000),
      remember: false,
      userAgent: 'x',
      ip: 'y',
    },
    user: { id: userId, username: userId, role: 'merchant', createdAt: new Date(0) },
  };
}

function enabled(capacity = 10): LocalSessionCache {
  const c = new LocalSessionCache(capacity);
  c.enable();
  return c;
}

describe('LocalSessionCache', () => {
  test('off until enabled, and disabling forgets everything', () => {
    const c = new LocalSessionCache(10);
    assert.equal(c.insert('a', entry('u'), c.generation()), false);
    c.enable();
    assert.equal(c.insert('a', entry('u'), c.generation()), true);
    assert.ok(c.get('a'));
    c.disable();
    assert.equal(c.get('a'), undefined);
    assert.equal(c.insert('a', entry('u'), c.generation()), false, 'no insertions while the bus is down');
    c.enable();
    assert.equal(c.get('a'), undefined, 'comes back empty');
  });

  test('evicts the least recently used beyond its capacity', () => {
    const c = enabled(2);
    c.insert('a', entry('u1'), c.generation());
    c.insert('b', entry('u2'), c.generation());
    assert.ok(c.get('a')); // a is now the most recent
    c.insert('c', entry('u3'), c.generation());
    assert.equal(c.size, 2);
    assert.equal(c.get('b'), undefined);
    assert.ok(c.get('a'));
    assert.ok(c.get('c'));
  });

  test('a read that started before a revocation cannot insert after it', () => {
    const c = enabled();
    const before = c.generation();
    c.dropSession('unrelated'); // any revocation message processed meanwhile
    assert.equal(c.insert('a', entry('u'), before), false);
    assert.equal(c.get('a'), undefined);
    assert.equal(c.insert('a', entry('u'), c.generation()), true);
  });

  test('dropUser removes that user’s entries but the kept one, and nobody else’s', () => {
    const c = enabled();
    c.insert('a1', entry('alice'), c.generation());
    c.insert('a2', entry('alice'), c.generation());
    c.insert('b1', entry('bob'), c.generation());
    c.dropUser('alice', 'a2');
    assert.equal(c.get('a1'), undefined);
    assert.ok(c.get('a2'));
    assert.ok(c.get('b1'));
    c.dropUser('alice');
    assert.equal(c.get('a2'), undefined);
  });

  test('refresh moves renewal times forward only and never inserts', () => {
    const c = enabled();
    c.refresh('a', new Date(5), new Date(1005));
    assert.equal(c.get('a'), undefined);
    c.insert('a', entry('u', 100), c.generation());
    c.refresh('a', new Date(50), new Date(1050));
    assert.equal(c.get('a')?.session.lastSeenAt.getTime(), 100);
    c.refresh('a', new Date(200), new Date(1200));
    assert.equal(c.get('a')?.session.lastSeenAt.getTime(), 200);
    assert.equal(c.get('a')?.session.idleExpiresAt.getTime(), 1200);
  });

  test('a user index entry does not outlive an eviction', () => {
    const c = enabled(1);
    c.insert('a', entry('alice'), c.generation());
    c.insert('b', entry('bob'), c.generation());
    c.insert('a', entry('alice'), c.generation());
    c.dropUser('bob');
    assert.equal(c.size, 1);
    assert.ok(c.get('a'));
  });
});
