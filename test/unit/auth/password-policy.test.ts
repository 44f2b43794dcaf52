import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { checkNewPassword, commonPasswords } from '../../../src/auth/password-policy.js';

const alice = { username: 'alice' };

function codes(pw: string, context: Parameters<typeof checkNewPassword>[1] = alice): string[] {
  return checkNewPassword(pw, context).map((e) => e.path);
}

function assertAccepted(pw: string, context: Parameters<typeof checkNewPassword>[1] = alice): void {
  assert.deepEqual(checkNewPassword(pw, context), [], JSON.stringify(pw));
}

function assertRefused(pw: string, messagePattern: RegExp, context: Parameters<typeof checkNewPassword>[1] = alice): void {
  const errors = checkNewPassword(pw, context);
  assert.equal(errors.length, 1, `${JSON.stringify(pw)} should be refused once, got ${JSON.stringify(errors)}`);
  assert.equal(errors[0]?.path, context.path ?? 'password');
  assert.match(errors[0]?.message ?? '', messagePattern);
  // Messages are sentences for people: a capital letter, a full stop, no code or JSON.
  assert.match(errors[0]?.message ?? '', /^[A-Z].*\.$/);
}

describe('length (counted in code points after NFKC)', () => {
  it('refuses 7 characters and accepts 8', () => {
    assertRefused('kq3v!xz', /at least 8 characters/);
    assertAccepted('kq3v!xzw');
  });

  it('accepts 256 characters and refuses 257', () => {
    const base = 'tulip harbour quietly '; // not a predictable word pattern
    const make = (n: number) => base.repeat(20).slice(0, n);
    assertAccepted(make(256));
    assertRefused(make(257), /at most 256 characters/);
  });

  it('counts an emoji as one character: 8 emoji pass, 7 do not; 64 × 😀 (256 bytes) pass (S-34)', () => {
    assertAccepted('🦊🌲🏔🌊🔥🍄🐝🌙');
    assertRefused('🦊🌲🏔🌊🔥🍄🐝', /at least 8/);
    assertAccepted('😀'.repeat(64));
  });

  it('counts e + U+0301 as one character, like é', () => {
    assertRefused('e\u0301e\u0301e\u0301e\u0301e\u0301e\u0301e\u0301', /at least 8/); // 7 é
  });

  it('refuses a 100 KB password quickly (S-44)', () => {
    const started = performance.now();
    assertRefused('x'.repeat(100_000), /at most 256/);
    assert.ok(performance.now() - started < 50);
  });

  it('honours a larger minLength (S-34: 15 without MFA) but never goes below 8', () => {
    assertRefused('kq3v!xzw tulip', /at least 15 characters/, { username: 'alice', minLength: 15 });
    assertAccepted('kq3v!xzw tulips', { username: 'alice', minLength: 15 });
    assertRefused('kq3v!xz', /at least 8 characters/, { username: 'alice', minLength: 4 });
  });
});

describe('content', () => {
  it('accepts any Unicode and spaces, with no composition rules (S-36)', () => {
    assertAccepted('correct horse battery staple extra');
    assertAccepted('пароль-из-кириллицы-длинный');
    assertAccepted('ユニコードのパスワード');
    assertAccepted('        tabs\tand   spaces  ');
    assertAccepted('alllowercaseletters');
  });

  it('refuses common passwords sampled across the shipped list, in any case', () => {
    const list = [...commonPasswords()];
    const sample = [0, 1, 17, 500, 5000, list.length - 1].map((i) => list[i] ?? '');
    const longOnes = list.filter((p) => [...p].length >= 15).slice(0, 5);
    assert.equal(longOnes.length, 5);
    for (const pw of [...sample, ...longOnes, 'PASSWORD', 'Iloveyou1', 'QWERTYUIOP']) {
      assertRefused(pw, /commonly used passwords/);
    }
  });

  it('refuses the username inside the password, case-insensitively', () => {
    assertRefused('alice', /at least 8/); // too short first
    assertRefused('xx-ALICE-xx', /username/);
    assertRefused('my name is Alice Liddell', /username/);
    assertRefused('bob.smith-tulips', /username/, { username: 'bob.smith' });
  });

  it('refuses passwords made only of context and filler words, digits and symbols (S-37)', () => {
    for (const pw of [
      'inventoryinventory',
      'stockadepassword2026',
      'Stockadepassword2026',
      'Stockade-Password-2026!',
      'st0ck@de inv3nt0ry',
      'MyInventory123',
      'adminadmin2026',
      '4l1c3!4l1c3!', // the username in leetspeak
    ]) {
      assertRefused(pw, /easily guessed words/);
    }
    assertRefused('tulipshop2026', /easily guessed words/, { username: 'bob', contextWords: ['tulipshop'] });
  });

  it('does not mistake real words for context words', () => {
    assertAccepted('stockade tulip 2026'); // "tulip" is not predictable
    assertAccepted('inventory of my grandmother’s attic');
    assertAccepted('storehouse of memories');
  });

  it('refuses a NUL character, allows every other control-free character (S-35 step 3)', () => {
    assertRefused('tulips\u0000bloom', /NUL/);
    assertAccepted('tulips\u0001bloom');
  });

  it('puts errors on the path the caller names', () => {
    assert.deepEqual(codes('short', { username: 'alice', path: 'newPassword' }), ['newPassword']);
    assertRefused('inventoryinventory', /easily guessed/, { username: 'alice', path: 'newPassword' });
  });
});

describe('the shipped list', () => {
  it('has at least 10,000 lower-case, deduplicated entries one per line, each of 8+ code points', () => {
    const text = readFileSync(new URL('../../../src/auth/common-passwords.txt', import.meta.url), 'utf8');
    const entries = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    assert.ok(entries.length >= 10_000, `${entries.length} entries`);
    assert.equal(new Set(entries).size, entries.length);
    for (const e of entries) {
      assert.equal(e, e.normalize('NFKC').toLowerCase());
      assert.ok([...e].length >= 8, e);
    }
    assert.equal(commonPasswords().size, entries.length);
    assert.match(text, /Permission is hereby granted/, 'the MIT notice travels with the data');
  });
});
