import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Sealing of second-factor secrets at rest (S-79): AES-256-GCM under a key that lives outside the
 * database (SECRET_KEY / SECRET_KEY_FILE, secret-keys.ts), so a database dump or backup alone does not
 * hold a single usable TOTP secret.
 *
 * A seal is `version (1) ‖ key id (8) ‖ nonce (12) ‖ tag (16) ‖ ciphertext`. The key id (the first 8 bytes
 * of SHA-256 of the key) says which key sealed it, so after a rotation the previous key opens what it
 * sealed (`stale: true`: the caller re-seals under the current key) and `stockade reseal-secrets` finds
 * what still needs it. The additional data binds a seal to its purpose and owner (e.g. the user id):
 * a sealed secret copied onto another user's row does not open (GCM's tag fails), so a database writer
 * cannot move a known TOTP secret onto an account they want to enter.
 *
 * How it can fail: a seal under a key that is no longer configured (rotated away too early) does not
 * open; `open` throws SealError and the caller treats the factor as unusable (a 500 would be no better,
 * and refusing the code keeps the account closed rather than open).
 */

const VERSION = 1;
const ID_BYTES = 8;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER = 1 + ID_BYTES + NONCE_BYTES + TAG_BYTES;

export class SealError extends Error {
  override name = 'SealError';
}

/** The keys: the current one seals, every one of them opens. Each exactly 32 bytes. */
export interface SecretKeys {
  readonly current: Buffer;
  readonly previous: readonly Buffer[];
}

export interface Opened {
  readonly plain: Buffer;
  /** Sealed under a previous key: re-seal under the current one. */
  readonly stale: boolean;
}

function keyId(key: Buffer): Buffer {
  return createHash('sha256').update(key).digest().subarray(0, ID_BYTES);
}

export class SecretBox {
  private keys: { current: { id: Buffer; key: Buffer }; all: { id: Buffer; key: Buffer }[] } | undefined;

  /** `load` runs at the first use (the CLI's commands that never seal need no key); main.ts calls `ready()` at start. */
  constructor(private readonly load: () => SecretKeys) {}

  /** Loads the keys now; throws what the loader throws (a ConfigError with one line). */
  ready(): void {
    this.ring();
  }

  seal(plain: Buffer, aad: string): Buffer {
    const { id, key } = this.ring().current;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), id, nonce, cipher.getAuthTag(), body]);
  }

  open(sealed: Buffer, aad: string): Opened {
    if (sealed.length < HEADER || sealed[0] !== VERSION) throw new SealError('not a seal of this version');
    const id = sealed.subarray(1, 1 + ID_BYTES);
    const ring = this.ring();
    const entry = ring.all.find((k) => k.id.equals(id));
    if (!entry) throw new SealError('sealed under a key that is not configured (SECRET_KEY, SECRET_KEY_PREVIOUS)');
    const nonce = sealed.subarray(1 + ID_BYTES, 1 + ID_BYTES + NONCE_BYTES);
    const tag = sealed.subarray(1 + ID_BYTES + NONCE_BYTES, HEADER);
    const decipher = createDecipheriv('aes-256-gcm', entry.key, nonce);
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    try {
      const plain = Buffer.concat([decipher.update(sealed.subarray(HEADER)), decipher.final()]);
      return { plain, stale: entry !== ring.current };
    } catch {
      throw new SealError('the seal does not open (altered, or bound to another owner)');
    }
  }

  /** Whether `sealed` was made under the current key (reseal-secrets skips those). */
  isCurrent(sealed: Buffer): boolean {
    return sealed.subarray(1, 1 + ID_BYTES).equals(this.ring().current.id);
  }

  private ring() {
    if (!this.keys) {
      const { current, previous } = this.load();
      const cur = { id: keyId(current), key: current };
      this.keys = { current: cur, all: [cur, ...previous.map((key) => ({ id: keyId(key), key }))] };
    }
    return this.keys;
  }
}
