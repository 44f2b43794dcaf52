import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { type Config, ConfigError } from '../../config.js';
import type { SecretKeys } from './secret-box.js';

/**
 * Where the sealing key comes from (docs/operations.md, "The secret key"): SECRET_KEY (base64 of 32
 * bytes), or SECRET_KEY_FILE (a file holding that), or — embedded mode only — DATA_DIR/secret.key,
 * created with mode 0600 at the first start. With DATABASE_URL there is no default: several servers
 * must share one key, and a key made up by one of them would seal secrets the others cannot open, so
 * the server refuses to start with one line instead. SECRET_KEY_PREVIOUS (comma-separated) still opens
 * what older keys sealed, for rotation.
 *
 * How it can fail: a file that is unreadable, or does not hold 32 bytes of base64, is a ConfigError
 * naming the variable (or the file), never a half-working server that cannot open what it sealed.
 */

export const SECRET_KEY_FILE_NAME = 'secret.key';

/** 32 bytes from base64 text, or a ConfigError naming `what`. */
export function parseSecretKey(what: string, text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed) ? Buffer.from(trimmed, 'base64') : Buffer.alloc(0);
  if (key.length !== 32) throw new ConfigError(`${what}: must be 32 random bytes in base64 (e.g. openssl rand -base64 32)`);
  return key;
}

export function loadSecretKeys(config: Config): SecretKeys {
  const previous = config.secretKeyPrevious.map((k) => parseSecretKey('SECRET_KEY_PREVIOUS', k));
  if (config.secretKey !== undefined) return { current: parseSecretKey('SECRET_KEY', config.secretKey), previous };
  if (config.secretKeyFile !== undefined) return { current: readKeyFile('SECRET_KEY_FILE', config.secretKeyFile), previous };
  if (config.databaseUrl) {
    throw new ConfigError(
      'SECRET_KEY_FILE: required with DATABASE_URL (every server needs the same key to open second-factor secrets; create one with: openssl rand -base64 32)',
    );
  }
  const path = join(config.dataDir, SECRET_KEY_FILE_NAME);
  if (!existsSync(path)) createKeyFile(path);
  return { current: readKeyFile(path, path), previous };
}

function readKeyFile(what: string, path: string): Buffer {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${what}: cannot read ${resolve(path)} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseSecretKey(what, text);
}

/** A new key, 0600 from the first byte (created with that mode, never chmod-ed after), never overwriting one. */
function createKeyFile(path: string): void {
  mkdirSync(resolve(path, '..'), { recursive: true, mode: 0o700 });
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    // Another process (a CLI command started at the same moment) created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw err;
  }
  try {
    writeSync(fd, `${randomBytes(32).toString('base64')}\n`);
  } finally {
    closeSync(fd);
  }
}
