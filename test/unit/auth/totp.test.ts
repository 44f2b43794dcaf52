import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { normaliseRecoveryCode, newRecoveryCodes, hashRecoveryCode } from '../../../src/auth/second-factor/recovery-codes.js';
import { base32, codeAt, matchingStep, otpauthUri, timeStep } from '../../../src/auth/second-factor/totp.js';

/**
 * RFC 6238 Appendix B, the SHA-1 rows: the seed is the ASCII of "12345678901234567890" and the codes
 * there have 8 digits. A d-digit code is the same truncated value mod 10^d, so our 6-digit codes are
 * the last six digits of the RFC's.
 */
const SEED = Buffer.from('12345678901234567890', 'ascii');
const VECTORS: [seconds: number, rfc: string][] = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

describe('TOTP (RFC 6238, SHA-1, 6 digits, 30 s, ±1 step)', () => {
  test('the SHA-1 test vectors of RFC 6238 appendix B', () => {
    for (const [seconds, rfc] of VECTORS) {
      assert.equal(codeAt(SEED, seconds * 1000), rfc.slice(-6), `T = ${seconds}`);
      assert.equal(matchingStep(SEED, rfc.slice(-6), seconds * 1000), Math.floor(seconds / 30), `accepted at T = ${seconds}`);
    }
  });

  test('one step of drift either way is accepted, two are not; the answer is the step the code belongs to', () => {
    const t = 1234567890 * 1000;
    const code = codeAt(SEED, t);
    assert.equal(matchingStep(SEED, code, t + 30_000), timeStep(t));
    assert.equal(matchingStep(SEED, code, t - 30_000), timeStep(t));
    assert.equal(matchingStep(SEED, code, t + 60_000), null);
    assert.equal(matchingStep(SEED, code, t - 60_000), null);
  });

  test('only six digits are a code', () => {
    const t = 1111111111 * 1000;
    const code = codeAt(SEED, t);
    for (const bad of ['', `${code}0`, code.slice(1), ` ${code}`, '１２３４５６', 'abcdef']) {
      assert.equal(matchingStep(SEED, bad, t), null, JSON.stringify(bad));
    }
  });

  test('the otpauth URI names the issuer, the account, SHA1, 6 digits, 30 s and the base32 key', () => {
    const uri = new URL(otpauthUri(SEED, 'alice'));
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.searchParams.get('secret'), base32(SEED));
    assert.equal(uri.searchParams.get('issuer'), 'Stockade');
    assert.equal(uri.searchParams.get('algorithm'), 'SHA1');
    assert.equal(uri.searchParams.get('digits'), '6');
    assert.equal(uri.searchParams.get('period'), '30');
    assert.equal(base32(SEED), 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
  });
});

describe('recovery codes', () => {
  test('ten distinct codes of 80 bits, typed back in any case, with or without dashes', () => {
    const codes = newRecoveryCodes();
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10);
    for (const c of codes) {
      assert.match(c, /^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/);
      const n = normaliseRecoveryCode(c);
      assert.ok(n);
      assert.equal(normaliseRecoveryCode(c.toUpperCase().replace(/-/g, ' ')), n);
      assert.deepEqual(hashRecoveryCode(n), hashRecoveryCode(normaliseRecoveryCode(c.replace(/-/g, ''))!));
    }
    assert.equal(normaliseRecoveryCode('short'), null);
    assert.equal(normaliseRecoveryCode('uuuu-uuuu-uuuu-uuuu'), null, 'u is not in the alphabet');
  });
});
