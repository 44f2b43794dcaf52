import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { hash as argon2Hash } from '@node-rs/argon2';
import { hash as bcryptHash, verify as bcryptVerify } from '@node-rs/bcrypt';
import { ARGON2_PARAMS, dummyVerify, hashPassword, prepareDummyHash, verifyPassword } from '../../../src/auth/passwords.js';

/** 80 printable ASCII characters, different every run. */
function randomAscii(length: number): string {
  const bytes = randomBytes(length);
  return Array.from(bytes, (b) => String.fromCharCode(33 + (b % 94))).join('');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/**
 * CPU time (µs, every thread of this process: argon2 runs on libuv's pool) that `fn` costs. Not the
 * wall clock: on a loaded machine a call also waits for a CPU, and CI at load ~12 measured a 2.98×
 * wall-clock ratio between two calls doing the same work. The tests of this file run one at a time.
 */
async function cpuCost(fn: () => Promise<unknown>): Promise<number> {
  const start = process.cpuUsage();
  await fn();
  const spent = process.cpuUsage(start);
  return spent.user + spent.system;
}

describe('hashPassword', () => {
  it('makes an argon2id PHC string at m=19456, t=2, p=1 (S-45)', async () => {
    const stored = await hashPassword('a perfectly fine password');
    const m = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/.exec(stored);
    assert.ok(m, stored);
    assert.deepEqual(m.slice(1).map(Number), [19456, 2, 1]);
    assert.deepEqual([ARGON2_PARAMS.memoryCost, ARGON2_PARAMS.timeCost, ARGON2_PARAMS.parallelism], [19456, 2, 1]);
  });

  it('salts: the same password twice gives two different hashes, both verifying', async () => {
    const [a, b] = await Promise.all([hashPassword('same password'), hashPassword('same password')]);
    assert.notEqual(a, b);
    assert.deepEqual(await verifyPassword('same password', a), { ok: true, needsRehash: false });
    assert.deepEqual(await verifyPassword('same password', b), { ok: true, needsRehash: false });
  });
});

describe('verifyPassword with argon2id', () => {
  it('verifies exactly as typed: case-flipped, trailing or leading space, prefix all fail (S-35)', async () => {
    const pw = `${randomAscii(40)}Ab`;
    const stored = await hashPassword(pw);
    assert.equal((await verifyPassword(pw, stored)).ok, true);
    const flipped = [...pw].map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())).join('');
    for (const wrong of [flipped, `${pw} `, ` ${pw}`, pw.slice(0, -1), `${pw}\u0000`]) {
      assert.equal((await verifyPassword(wrong, stored)).ok, false, JSON.stringify(wrong));
    }
  });

  it('long passwords are not truncated: an 80-char password and a different one sharing 72 chars', async () => {
    const pw = randomAscii(80);
    const stored = await hashPassword(pw);
    assert.equal((await verifyPassword(pw, stored)).ok, true);
    assert.equal((await verifyPassword(`${pw.slice(0, 72)}DIFFERENT`, stored)).ok, false);
  });

  it('NFKC: a password set with precomposed é verifies when typed as e + U+0301, and vice versa (S-36)', async () => {
    const precomposed = 'caf\u00e9 au lait, s’il vous plaît';
    const decomposed = 'cafe\u0301 au lait, s’il vous plaît';
    assert.notEqual(precomposed, decomposed);
    assert.equal((await verifyPassword(decomposed, await hashPassword(precomposed))).ok, true);
    assert.equal((await verifyPassword(precomposed, await hashPassword(decomposed))).ok, true);
    // Compatibility forms too: full-width digits are the ASCII digits.
    assert.equal((await verifyPassword('pin ２０２６ ok', await hashPassword('pin 2026 ok'))).ok, true);
  });

  it('asks for a rehash of argon2 hashes weaker than ours, and of argon2i', async () => {
    const weak = await argon2Hash('weak params', { memoryCost: 4096, timeCost: 1, parallelism: 1 });
    assert.deepEqual(await verifyPassword('weak params', weak), { ok: true, needsRehash: true });
    const argon2i = await argon2Hash('argon2i', { ...ARGON2_PARAMS, algorithm: 1 });
    assert.match(argon2i, /^\$argon2i\$/);
    assert.deepEqual(await verifyPassword('argon2i', argon2i), { ok: true, needsRehash: true });
    const stronger = await argon2Hash('stronger', { memoryCost: 24576, timeCost: 3, parallelism: 1 });
    assert.deepEqual(await verifyPassword('stronger', stronger), { ok: true, needsRehash: false });
  });

  it('answers ok:false, without throwing, for malformed, unknown or absurd stored hashes', async () => {
    const absurd = '$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const malformed = [
      '',
      'hunter2',
      '$argon2id$v=19$m=19456,t=2,p=1$not-base64$',
      '$argon2id$',
      '$2b$10$tooshort',
      '$2b$99$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234',
      '$pbkdf2-sha256$600000$c2FsdA$aGFzaA',
      '$1$saltsalt$hash',
      absurd,
      // A caller that passes a NULL column through an untyped row gets a refusal, not a crash.
      null as unknown as string,
    ];
    for (const stored of malformed) {
      const started = performance.now();
      assert.deepEqual(await verifyPassword('password', stored), { ok: false, needsRehash: false }, String(stored));
      // The absurd one must not have run a 4 GiB hash.
      assert.ok(performance.now() - started < 2000, String(stored));
    }
  });
});

describe('verifyPassword with legacy bcrypt', () => {
  it('verifies a cost-10 bcrypt hash and asks for a rehash; a wrong password fails', async () => {
    const stored = await bcryptHash('legacy password', 10);
    assert.match(stored, /^\$2[aby]\$10\$/);
    assert.deepEqual(await verifyPassword('legacy password', stored), { ok: true, needsRehash: true });
    assert.deepEqual(await verifyPassword('Legacy password', stored), { ok: false, needsRehash: false });
    assert.equal((await verifyPassword('legacy password ', stored)).ok, false);
  });

  it('also reads $2a$ and $2y$ hashes', async () => {
    for (const version of ['2a', '2b', '2y'] as const) {
      // $2a$, $2b$ and $2y$ differ only in name for passwords like these; the verifier must accept each.
      const stored = (await bcryptHash('old system', 10)).replace(/^\$2[aby]\$/, `$${version}$`);
      assert.ok(stored.startsWith(`$${version}$10$`));
      assert.deepEqual(await verifyPassword('old system', stored), { ok: true, needsRehash: true });
    }
  });

  it('refuses passwords over 72 bytes: no prefix collision (S-35 steps 1 and 4)', async () => {
    const pw = randomAscii(80);
    // bcrypt itself only hashes the first 72 bytes of pw; the library would accept any 72-byte prefix.
    const stored = await bcryptHash(pw, 10);
    const collision = `${pw.slice(0, 72)}DIFFERENT`;
    assert.equal(await bcryptVerify(collision, stored), true, 'the raw library does collide');
    assert.equal((await verifyPassword(collision, stored)).ok, false);
    assert.equal((await verifyPassword(pw, stored)).ok, false);

    const emoji = `${'😀'.repeat(30)}x`; // 121 bytes; the first 72 are 18 emoji
    const emojiStored = await bcryptHash(emoji, 10);
    assert.equal((await verifyPassword(`${'😀'.repeat(30)}y`, emojiStored)).ok, false);

    // Exactly 72 bytes is still a whole password to bcrypt, so it verifies.
    const exact = randomAscii(72);
    assert.equal((await verifyPassword(exact, await bcryptHash(exact, 10))).ok, true);
    assert.equal((await verifyPassword(`${exact}!`, await bcryptHash(exact, 10))).ok, false);
  });

  it('refuses a password with a NUL against bcrypt, so a prefix cannot match (S-35 step 3)', async () => {
    const stored = await bcryptHash('before\u0000after', 10);
    assert.equal((await verifyPassword('before\u0000after', stored)).ok, false);
    assert.equal((await verifyPassword('before', stored)).ok, false);
  });
});

describe('dummyVerify', () => {
  it('always refuses, even for the empty password', async () => {
    assert.deepEqual(await dummyVerify(''), { ok: false, needsRehash: false });
    assert.deepEqual(await dummyVerify('anything at all'), { ok: false, needsRehash: false });
  });

  it('prepares one dummy argon2id hash at our parameters and reuses it', async () => {
    const first = await prepareDummyHash();
    assert.match(first, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.equal(await prepareDummyHash(), first);
  });

  it('costs about what a real wrong-password verify costs (S-41)', async (t) => {
    await prepareDummyHash();
    const stored = await hashPassword('the real password');
    const real: number[] = [];
    const dummy: number[] = [];
    for (let i = 0; i < 7; i++) {
      real.push(await cpuCost(() => verifyPassword('a wrong password', stored)));
      dummy.push(await cpuCost(() => dummyVerify('a wrong password')));
    }
    const ratio = median(dummy) / median(real);
    t.diagnostic(`CPU per verify: dummy ${median(dummy)} µs, real ${median(real)} µs, ratio ${ratio.toFixed(2)}`);
    // Same algorithm, same parameters: the CPU ratio is ~1, whatever else the machine runs; a dummy that
    // skipped the hash would be ~0.
    assert.ok(ratio > 0.5 && ratio < 2, `dummy/real median CPU ratio ${ratio.toFixed(2)} (${median(dummy)} / ${median(real)} µs)`);
  });
});
