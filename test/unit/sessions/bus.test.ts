import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeRevocation, encodeRevocation, type Revocation } from '../../../src/sessions/bus.js';
import { LocalBus } from '../../../src/sessions/bus-local.js';

describe('revocation messages', () => {
  test('every kind round-trips', () => {
    const all: Revocation[] = [
      { kind: 'session', idHash: Buffer.alloc(32, 7) },
      { kind: 'user', userId: 'b3c1a0de-1f2e-4d3c-8b7a-0123456789ab' },
      { kind: 'user', userId: 'u', keep: Buffer.alloc(32, 9) },
      { kind: 'all' },
    ];
    for (const r of all) {
      const back = decodeRevocation(encodeRevocation(r, 1234));
      assert.deepEqual(back, { revocation: r, sentAt: 1234 });
    }
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
    for (const [name, bus] of [['a', a], ['b', b], ['other', other]] as const) {
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
