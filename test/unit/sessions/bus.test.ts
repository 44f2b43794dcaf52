import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { randomBytes } from 'node:crypto';
import {
  decodeRevocation,
  encodeRevocation,
  HASH_PREFIXES_PER_MESSAGE,
  type Revocation,
  splitRevocation,
} from '../../../src/sessions/bus/bus.js';
import { FanoutBus } from '../../../src/sessions/bus/fanout.js';
import { LocalBus } from '../../../src/sessions/bus/local.js';

describe('revocation messages', () => {
  test('every kind round-trips', () => {
    const all: Revocation[] = [
      { kind: 'session', idHash: Buffer.alloc(32, 7) },
      { kind: 'user', userId: 'b3c1a0de-1f2e-4d3c-8b7a-0123456789ab' },
      { kind: 'user', userId: 'u', keep: Buffer.alloc(32, 9) },
      { kind: 'user', userId: 'u', hashPrefixes: [Buffer.alloc(16, 1), Buffer.alloc(16, 2)], reason: 'disabled' },
      { kind: 'user', userId: 'u', hashPrefixes: [] },
      { kind: 'all' },
    ];
    for (const r of all) {
      const back = decodeRevocation(encodeRevocation(r, 1234));
      assert.deepEqual(back, { revocation: r, sentAt: 1234, tierClean: false });
    }
    assert.deepEqual(decodeRevocation(encodeRevocation({ kind: 'all' }, 5, 'n.1', true)), {
      revocation: { kind: 'all' },
      sentAt: 5,
      nonce: 'n.1',
      tierClean: true,
    });
  });

  // PostgreSQL refuses a NOTIFY payload of 8000 bytes or more (and SESSION_MAX_PER_USER may be 1000).
  test('a user revocation naming 1000 sessions splits into messages that each fit a NOTIFY payload, naming every session once', () => {
    const prefixes = Array.from({ length: 1000 }, () => randomBytes(16));
    const r: Revocation = {
      kind: 'user',
      userId: 'b3c1a0de-1f2e-4d3c-8b7a-0123456789ab',
      keep: randomBytes(32),
      hashPrefixes: prefixes,
      reason: 'password_changed',
    };
    const parts = splitRevocation(r);
    assert.equal(parts.length, Math.ceil(1000 / HASH_PREFIXES_PER_MESSAGE));
    const named: string[] = [];
    for (const part of parts) {
      const payload = encodeRevocation(part, Date.now() + 0.123456, 'AbCdEfGh.123456789', true);
      assert.ok(Buffer.byteLength(payload) < 8000, `${Buffer.byteLength(payload)} bytes`);
      const back = decodeRevocation(payload)?.revocation;
      assert.ok(back?.kind === 'user' && back.hashPrefixes);
      assert.equal(back.userId, r.userId);
      assert.deepEqual(back.keep, r.keep);
      named.push(...back.hashPrefixes.map((p) => p.toString('hex')));
    }
    assert.deepEqual(
      named,
      prefixes.map((p) => p.toString('hex')),
    );
    assert.deepEqual(splitRevocation({ kind: 'user', userId: 'u' }), [{ kind: 'user', userId: 'u' }]);
  });

  test('hash prefixes that are not whole 16-byte names are dropped (the receiver then flushes), not misread', () => {
    const back = decodeRevocation(JSON.stringify({ k: 'u', u: 'u', h: Buffer.alloc(20).toString('base64url'), t: 1 }));
    assert.deepEqual(back?.revocation, { kind: 'user', userId: 'u' });
  });

  test('foreign or malformed payloads are ignored, not thrown', () => {
    for (const raw of ['', 'hello', '{"k":"s"}', '{"k":"u","u":5}', '[]', 'null', '{"k":"z"}']) {
      assert.equal(decodeRevocation(raw), null, raw);
    }
  });
});

describe('LocalBus', () => {
  test('buses over one database object hear each other; another database is another hub', async () => {
    const db = {};
    const a = new LocalBus(db);
    const b = new LocalBus(db);
    const other = new LocalBus({});
    const heard: string[] = [];
    for (const [name, bus] of [
      ['a', a],
      ['b', b],
      ['other', other],
    ] as const) {
      bus.listen({ onRevocation: (r) => heard.push(`${name}:${r.kind}`), onStateChange: () => {} });
    }
    assert.equal(a.up, true);
    a.publish({ kind: 'all' });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(heard.sort(), ['a:all', 'b:all']);
    await b.close();
    a.publish({ kind: 'all' });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(heard.sort(), ['a:all', 'a:all', 'b:all']);
    await a.close();
    await other.close();
  });
});

describe('FanoutBus', () => {
  test('one message on both carriers reaches each listener once; up while both carriers are up', async () => {
    const fastHub = {};
    const sureHub = {};
    const a = new FanoutBus(new LocalBus(fastHub), new LocalBus(sureHub));
    const b = new FanoutBus(new LocalBus(fastHub), new LocalBus(sureHub));
    const heard: [string, boolean][] = [];
    b.listen({ onRevocation: (r, _t, info) => heard.push([r.kind, info.tierClean]), onStateChange() {} });
    await a.publish({ kind: 'all' }, { tierClean: true });
    await a.publish({ kind: 'user', userId: 'u' });
    assert.deepEqual(heard, [
      ['all', true],
      ['user', false],
    ]);
    assert.equal(b.stats.received, 2);
    assert.equal(a.stats.published, 2);
    assert.equal(b.up, true);
    const states: boolean[] = [];
    b.listen({ onRevocation() {}, onStateChange: (up) => states.push(up) });
    await b.fast.close();
    assert.equal(b.up, false, 'without the fast carrier, other servers hear revocations later than their publisher does');
    await b.sure.close();
    assert.equal(b.up, false);
    assert.deepEqual(states, [false], 'one change of the combined state, told once');
    await a.close();
  });
});

describe('why a session ended, on the wire', () => {
  test('a reason round-trips on every kind; a message without one (an older publisher) decodes without it', () => {
    const all: Revocation[] = [
      { kind: 'session', idHash: Buffer.alloc(32, 7), reason: 'signed_out' },
      { kind: 'user', userId: 'u', keep: Buffer.alloc(32, 9), reason: 'password_changed' },
      { kind: 'user', userId: 'u', reason: 'disabled' },
      { kind: 'all', reason: 'revoked' },
    ];
    for (const r of all) assert.deepEqual(decodeRevocation(encodeRevocation(r, 1))?.revocation, r);
    assert.deepEqual(decodeRevocation('{"k":"a","t":1}')?.revocation, { kind: 'all' });
  });

  test('an unknown reason (a newer publisher) is dropped, the revocation kept', () => {
    assert.deepEqual(decodeRevocation('{"k":"u","u":"x","r":"abducted","t":1}')?.revocation, { kind: 'user', userId: 'x' });
    assert.deepEqual(decodeRevocation('{"k":"a","r":5,"t":1}')?.revocation, { kind: 'all' });
  });
});
