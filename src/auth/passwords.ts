/**
 * Password hashing and verification (S-35, S-36, S-41, S-45).
 *
 * New hashes are argon2id at the OWASP minimum (m=19456 KiB, t=2, p=1), as a PHC string. Legacy bcrypt
 * hashes still verify, and every hash weaker than today's parameters reports `needsRehash`, so the caller
 * can store a fresh hash on the next successful sign-in.
 *
 * Normalisation (S-36 step 2, NIST SP 800-63B §5.1.1.2): every password is NFKC-normalised before it is
 * hashed or verified, so the same password typed on two keyboards (precomposed "é" U+00E9 versus "e" +
 * combining acute U+0301, full-width digits, ligatures) is the same password. Nothing else is changed:
 * no trimming, no case folding, no truncation (S-35).
 *
 * Failure modes: a malformed or unknown stored hash never throws; it answers `{ ok: false }` after the
 * same work as a real verification, so a damaged row is a failed sign-in, not a 500 or a timing signal.
 * The native bindings run off the event loop (libuv thread pool), so callers should gate them with
 * hash-limiter.ts to keep a flood of sign-ins from filling that pool.
 */
import { randomBytes } from 'node:crypto';
import { type Algorithm, hash as argon2Hash, verify as argon2Verify, parseOptions as parseArgon2, type Version } from '@node-rs/argon2';
import { verify as bcryptVerify } from '@node-rs/bcrypt';

/**
 * The binding declares Algorithm/Version as ambient `const enum`s, which `isolatedModules` cannot read
 * and which are empty objects at run time, so their numeric values are spelled out here.
 */
const ARGON2ID = 2 as Algorithm;
const ARGON2_V0X13 = 1 as Version;

/** Today's parameters: OWASP Password Storage Cheat Sheet / ASVS 5.0 Appendix C (t=2 ⇒ m ≥ 19 MiB). */
export const ARGON2_PARAMS = Object.freeze({
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
  outputLen: 32,
});

/**
 * A stored hash asking for far more work than ours is not ours: a tampered or corrupt row could
 * otherwise make one sign-in allocate gigabytes or spin for minutes. Such a hash fails verification.
 * Raise these along with ARGON2_PARAMS.
 */
const ARGON2_CEILING = Object.freeze({ memoryCost: 262144, timeCost: 16, parallelism: 16 });

/** bcrypt reads at most 72 bytes of the password; longer ones must not verify by prefix (S-35). */
export const BCRYPT_MAX_PASSWORD_BYTES = 72;
const BCRYPT_HASH = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;

export interface VerifyResult {
  ok: boolean;
  /** True only when ok: the stored hash is legacy or weaker than ARGON2_PARAMS; store hashPassword(pw). */
  needsRehash: boolean;
}

const REFUSED: VerifyResult = Object.freeze({ ok: false, needsRehash: false });

/** NFKC, nothing more (see the module comment). The password policy counts length on this form too. */
export function normalizePassword(pw: string): string {
  return pw.normalize('NFKC');
}

/** argon2id PHC string: `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`, with a fresh 16-byte salt. */
export function hashPassword(pw: string): Promise<string> {
  return argon2Hash(normalizePassword(pw), { ...ARGON2_PARAMS, algorithm: ARGON2ID, version: ARGON2_V0X13 });
}

/**
 * Checks `pw` against a stored argon2 or bcrypt hash. Never throws for a bad `stored`; every refusal
 * costs about one hash, so the answer's timing does not say why it was refused.
 */
export async function verifyPassword(pw: string, stored: string): Promise<VerifyResult> {
  const candidate = normalizePassword(pw);
  if (typeof stored === 'string' && stored.startsWith('$argon2')) return verifyArgon2(candidate, stored);
  if (typeof stored === 'string' && BCRYPT_HASH.test(stored)) return verifyBcrypt(candidate, stored);
  return dummyVerify(pw);
}

async function verifyArgon2(candidate: string, stored: string): Promise<VerifyResult> {
  let params: ReturnType<typeof parseArgon2>;
  try {
    params = parseArgon2(stored);
  } catch {
    return dummyVerifyNormalized(candidate);
  }
  if (
    params.memoryCost > ARGON2_CEILING.memoryCost ||
    params.timeCost > ARGON2_CEILING.timeCost ||
    params.parallelism > ARGON2_CEILING.parallelism
  ) {
    return dummyVerifyNormalized(candidate);
  }
  let ok: boolean;
  try {
    ok = await argon2Verify(stored, candidate);
  } catch {
    return REFUSED;
  }
  return ok ? { ok: true, needsRehash: isWeakerThanOurs(params) } : REFUSED;
}

/** Parallelism is not compared: more lanes over the same memory is not a weaker hash. */
function isWeakerThanOurs(p: ReturnType<typeof parseArgon2>): boolean {
  return (
    p.algorithm !== ARGON2ID ||
    p.version !== ARGON2_V0X13 ||
    p.memoryCost < ARGON2_PARAMS.memoryCost ||
    p.timeCost < ARGON2_PARAMS.timeCost ||
    p.outputLen < ARGON2_PARAMS.outputLen ||
    p.saltLen < 16
  );
}

async function verifyBcrypt(candidate: string, stored: string): Promise<VerifyResult> {
  // bcrypt would read only the first 72 bytes (and C implementations stop at a NUL), so a longer
  // password, or one with U+0000, would match on a prefix. It is refused, but only after the same
  // bcrypt work as any other attempt on this account, so its timing matches a plain wrong password.
  const unverifiable = Buffer.byteLength(candidate, 'utf8') > BCRYPT_MAX_PASSWORD_BYTES || candidate.includes('\u0000');
  let ok: boolean;
  try {
    ok = await bcryptVerify(candidate, stored);
  } catch {
    return REFUSED;
  }
  // Every bcrypt hash is legacy: rehash it as argon2id on the first successful sign-in.
  return ok && !unverifiable ? { ok: true, needsRehash: true } : REFUSED;
}

let dummyHash: Promise<string> | undefined;

/**
 * The hash that dummyVerify checks against: made once, lazily, from a random password nobody knows.
 * Call it at start-up so the first unknown-user sign-in does not pay for the hash as well.
 */
export function prepareDummyHash(): Promise<string> {
  if (!dummyHash) {
    dummyHash = hashPassword(randomBytes(32).toString('base64url'));
    // A failed hash (out of memory) must not poison every later call: forget it and try again next time.
    dummyHash.catch(() => {
      dummyHash = undefined;
    });
  }
  return dummyHash;
}

/**
 * The work of one real argon2id verification at our parameters, for a sign-in whose username does not
 * exist (or whose account cannot sign in), so it costs the same time as a wrong password (S-41).
 * Always `{ ok: false }`, whatever the password: use it in place of verifyPassword.
 */
export function dummyVerify(pw: string): Promise<VerifyResult> {
  return dummyVerifyNormalized(normalizePassword(pw));
}

async function dummyVerifyNormalized(candidate: string): Promise<VerifyResult> {
  const stored = await prepareDummyHash();
  try {
    await argon2Verify(stored, candidate);
  } catch {
    // Only the time spent matters here.
  }
  return REFUSED;
}
