import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeUserCursor, encodeUserCursor } from '../../../src/auth/accounts.js';
import { addressGroup } from '../../../src/auth/throttle.js';

describe('addressGroup (the client a per-address limit applies to)', () => {
  test('IPv4 is the whole address, IPv4-mapped IPv6 too', () => {
    assert.equal(addressGroup('192.0.2.7'), '192.0.2.7');
    assert.equal(addressGroup('::ffff:192.0.2.7'), '192.0.2.7');
  });
  test('IPv6 is grouped by /64, however it is written', () => {
    const g = '2001:db8:aa:bb::/64';
    assert.equal(addressGroup('2001:db8:aa:bb::1'), g);
    assert.equal(addressGroup('2001:0db8:00aa:00bb:ffff:ffff:ffff:ffff'), g);
    assert.equal(addressGroup('2001:DB8:AA:BB:1:2:3:4'), g);
    assert.notEqual(addressGroup('2001:db8:aa:bc::1'), g);
    assert.equal(addressGroup('::1'), '0:0:0:0::/64');
    assert.equal(addressGroup('fe80::1%eth0'), 'fe80:0:0:0::/64');
  });
  test('anything else is one "unknown" group, never a fresh key per garbage value', () => {
    assert.equal(addressGroup(undefined), 'unknown');
    assert.equal(addressGroup('not an address'), 'unknown');
  });
});

describe('admin user-list cursors', () => {
  test('round-trip, and refuse what no page produced', () => {
    assert.equal(decodeUserCursor(encodeUserCursor('alice.b-c_d')), 'alice.b-c_d');
    assert.equal(decodeUserCursor('not a cursor!'), null);
    assert.equal(decodeUserCursor(''), null);
  });
});
