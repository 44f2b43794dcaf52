import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type BusListener,
  decodeNotice,
  decodeRevocation,
  encodeNotice,
  type Notice,
  type Revocation,
} from '../../../src/sessions/bus/bus.js';
import { FanoutBus } from '../../../src/sessions/bus/fanout.js';
import { LocalBus } from '../../../src/sessions/bus/local.js';

/**
 * Notices (the pseudonym key was rotated) ride the revocation bus: a listener hears them on its own
 * hook, never as a revocation, and a fan-out bus hands each one over once although it arrives on both
 * carriers.
 */

function recorder(): { listener: BusListener; notices: Notice[]; revocations: Revocation[] } {
  const notices: Notice[] = [];
  const revocations: Revocation[] = [];
  return {
    notices,
    revocations,
    listener: {
      onRevocation: (r) => revocations.push(r),
      onStateChange() {},
      onNotice: (n) => notices.push(n),
    },
  };
}

describe('bus notices', () => {
  test('a notice round-trips, and is no revocation (an older server ignores it)', () => {
    const raw = encodeNotice({ kind: 'pseudonym-key' }, 12, 'n.7');
    assert.deepEqual(decodeNotice(raw), { notice: { kind: 'pseudonym-key' }, info: { tierClean: false, nonce: 'n.7' } });
    assert.equal(decodeRevocation(raw), null);
    for (const foreign of ['', '{"k":"n"}', '{"k":"n","w":"other"}', '{"k":"a"}']) assert.equal(decodeNotice(foreign), null, foreign);
  });

  test('shop.changed round-trips; one missing a field or with an unknown reason is ignored', () => {
    const n: Notice = { kind: 'shop.changed', shopId: 's1', userId: 'u1', reason: 'role_changed' };
    assert.deepEqual(decodeNotice(encodeNotice(n, 1, 'n.8')), { notice: n, info: { tierClean: false, nonce: 'n.8' } });
    for (const bad of [
      '{"k":"n","w":"shop.changed","s":"s1","r":"removed"}',
      '{"k":"n","w":"shop.changed","s":"s1","u":"u1","r":"promoted"}',
      '{"k":"n","w":"shop.changed","u":"u1","r":"removed"}',
    ])
      assert.equal(decodeNotice(bad), null, bad);
  });

  test('in-process: every bus of the hub hears it once, on onNotice only', async () => {
    const scope = {};
    const a = new LocalBus(scope);
    const b = new LocalBus(scope);
    const heard = recorder();
    b.listen(heard.listener);
    await a.announce({ kind: 'pseudonym-key' });
    assert.deepEqual(heard.notices, [{ kind: 'pseudonym-key' }]);
    assert.deepEqual(heard.revocations, []);
    await a.close();
    await b.close();
  });

  test('fan-out: one notice on both carriers is handed over once', async () => {
    const fastScope = {};
    const sureScope = {};
    const sender = new FanoutBus(new LocalBus(fastScope), new LocalBus(sureScope));
    const receiver = new FanoutBus(new LocalBus(fastScope), new LocalBus(sureScope));
    const heard = recorder();
    receiver.listen(heard.listener);
    await sender.announce({ kind: 'pseudonym-key' });
    await sender.announce({ kind: 'pseudonym-key' });
    assert.deepEqual(heard.notices, [{ kind: 'pseudonym-key' }, { kind: 'pseudonym-key' }], 'two notices, each once');
    assert.deepEqual(heard.revocations, []);
    await sender.close();
    await receiver.close();
  });
});
