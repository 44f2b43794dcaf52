import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deviceSummary, truncateIp } from '../../../src/lib/client-info.js';
import { decodeSession, encodeRenewal, encodeSession, OFFSET } from '../../../src/sessions/tiers/redis-codec.js';
import type { SessionUser } from '../../../src/auth/user.js';
import type { SessionRecord } from '../../../src/sessions/session.js';
import { hashToken, newPublicId, newToken } from '../../../src/sessions/tokens.js';

const now = Date.UTC(2025, 0, 2, 3, 4, 5, 678);

function pair(over: Partial<SessionRecord> = {}, userOver: Partial<SessionUser> = {}): { s: SessionRecord; u: SessionUser } {
  const u: SessionUser = {
    id: 'b3c1a0de-1f2e-4d3c-8b7a-0123456789ab',
    username: 'alice',
    role: 'merchant',
    createdAt: new Date(now - 86_400_000),
    ...userOver,
  };
  const s: SessionRecord = {
    idHash: hashToken(newToken()),
    id: newPublicId(),
    userId: u.id,
    createdAt: new Date(now),
    lastSeenAt: new Date(now + 1),
    authenticatedAt: new Date(now + 2),
    idleExpiresAt: new Date(now + 1_800_000),
    absoluteExpiresAt: new Date(now + 43_200_000),
    remember: false,
    userAgent: 'Firefox on Linux',
    ip: '192.0.2.0/24',
    ...over,
  };
  return { s, u };
}

function roundTrip(s: SessionRecord, u: SessionUser) {
  return decodeSession(s.idHash, encodeSession(s, u));
}

describe('redis codec', () => {
  test('a typical session round-trips exactly and stays compact', () => {
    const { s, u } = pair();
    const bytes = encodeSession(s, u);
    // ≤ 76 bytes: with Redis's 4 bytes of string header the value stays in jemalloc's 80-byte class.
    assert.ok(bytes.length <= 76, `typical value is ${bytes.length} bytes`);
    assert.deepEqual(roundTrip(s, u), { session: s, user: u });
  });

  test('every device summary and truncated address the app produces round-trips', () => {
    const agents = [
      undefined,
      'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0',
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Version/17.5 Safari/604.1',
      'curl/8.5.0',
      'node',
      'Mozilla/5.0 (X11; Linux x86_64)',
      'something else entirely',
    ];
    const ips = ['203.0.113.77', '::ffff:198.51.100.9', '2001:db8:abcd:12::1', 'fe80::1', undefined, 'garbage'];
    for (const a of agents) {
      for (const ip of ips) {
        const { s, u } = pair({ userAgent: deviceSummary(a), ip: truncateIp(ip) });
        assert.deepEqual(roundTrip(s, u), { session: s, user: u }, `${s.userAgent} / ${s.ip}`);
      }
    }
  });

  test('values outside the shortcuts are kept as text, unchanged', () => {
    const odd = [
      { userAgent: 'Firefox on Plan 9', ip: '10.0.0.0/8', id: 'short', userId: 'not-a-uuid' },
      { userAgent: '', ip: '', id: 'x'.repeat(300), userId: 'B3C1A0DE-1F2E-4D3C-8B7A-0123456789AB' },
      { userAgent: 'ünïcödé 🚀 on Linux', ip: '2001:0db8:0:0::/48', id: 'AAAAAAAAAAAAAAAA' },
      { userAgent: 'Linux', ip: '1.2.3.0/24' },
      { userAgent: 'Unknown device', ip: '001.2.3.0/24' },
    ];
    for (const o of odd) {
      const { s, u } = pair(o, { id: o.userId ?? 'b3c1a0de-1f2e-4d3c-8b7a-0123456789ab', username: 'ß'.repeat(200), role: 'admin' });
      const fixed = { ...s, userId: u.id };
      assert.deepEqual(roundTrip(fixed, u), { session: fixed, user: u });
    }
  });

  test('times before createdAt (signed deltas) and long lifetimes round-trip; impossible ones are refused', () => {
    const { s, u } = pair(
      { authenticatedAt: new Date(now - 5), absoluteExpiresAt: new Date(now + 400 * 86_400_000) },
      { createdAt: new Date(0) },
    );
    assert.deepEqual(roundTrip(s, u), { session: s, user: u });
    const backwards = pair({ idleExpiresAt: new Date(now - 1) });
    assert.throws(() => encodeSession(backwards.s, backwards.u), RangeError);
    assert.throws(() => encodeRenewal(new Date(now), new Date(now - 1)), RangeError);
  });

  test('remember and role flags survive', () => {
    const { s, u } = pair({ remember: true }, { role: 'admin' });
    const back = roundTrip(s, u);
    assert.equal(back.session.remember, true);
    assert.equal(back.user.role, 'admin');
  });

  test('the renewal fields sit at the offsets the Lua script splices', () => {
    const { s, u } = pair();
    const v = encodeSession(s, u);
    const seen = new Date(now + 60_000);
    const idle = new Date(now + 1_860_000);
    const spliced = Buffer.concat([v.subarray(0, OFFSET.lastSeenAt), encodeRenewal(seen, idle), v.subarray(OFFSET.createdAt)]);
    const back = decodeSession(s.idHash, spliced);
    assert.equal(back.session.lastSeenAt.getTime(), seen.getTime());
    assert.equal(back.session.idleExpiresAt.getTime(), idle.getTime());
    assert.equal(back.session.absoluteExpiresAt.getTime(), s.absoluteExpiresAt.getTime());
  });

  test('a pending marker, a foreign version or a truncated value is refused, never half-read', () => {
    const { s, u } = pair();
    const v = encodeSession(s, u);
    assert.throws(() => decodeSession(s.idHash, Buffer.from([0, 1, 2, 3])));
    assert.throws(() => decodeSession(s.idHash, Buffer.concat([Buffer.from([2]), v.subarray(1)])));
    assert.throws(() => decodeSession(s.idHash, v.subarray(0, v.length - 1)));
    assert.throws(() => decodeSession(s.idHash, Buffer.concat([v, Buffer.from([0])])));
  });

  test('an unknown role cannot be encoded silently as another', () => {
    const { s, u } = pair();
    assert.throws(() => encodeSession(s, { ...u, role: 'owner' as never }));
  });
});
