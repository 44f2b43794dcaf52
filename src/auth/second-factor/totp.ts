import { Secret, TOTP } from 'otpauth';

/**
 * RFC 6238 TOTP as docs/api.md fixes it: HMAC-SHA-1, 6 digits, 30-second steps, ±1 step of clock drift
 * (S-79). The arithmetic is the `otpauth` library's; this file only fixes the parameters and turns
 * "valid" into *which* time step matched, because "each code once" is decided on the step
 * (second-factors.ts stores the last step accepted per user).
 */

export const TOTP_PERIOD = 30;
export const TOTP_DIGITS = 6;
/** Steps either side of now that still count (clock drift between phone and server). */
export const TOTP_WINDOW = 1;
/** 160 bits, the SHA-1 block's natural key size (RFC 4226 §4 recommends at least 128). */
export const TOTP_SECRET_BYTES = 20;

const ISSUER = 'Stockade';

export function newTotpSecret(): Buffer {
  return Buffer.from(new Secret({ size: TOTP_SECRET_BYTES }).bytes);
}

/** The key as people type it into an authenticator app (RFC 4648 base32, no padding). */
export function base32(secret: Buffer): string {
  return new Secret({ buffer: toArrayBuffer(secret) }).base32;
}

/** The otpauth:// URI an authenticator app reads from the QR code. */
export function otpauthUri(secret: Buffer, username: string): string {
  return totpFor(secret, username).toString();
}

/** The time step (RFC 6238 T) at `nowMs`. */
export function timeStep(nowMs: number): number {
  return Math.floor(nowMs / 1000 / TOTP_PERIOD);
}

/**
 * The time step whose code `code` is (within ±1 step of `nowMs`), or null. Anything but exactly six
 * digits is null without computing an HMAC.
 */
export function matchingStep(secret: Buffer, code: string, nowMs: number): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = totpFor(secret, '').validate({ token: code, timestamp: nowMs, window: TOTP_WINDOW });
  return delta === null ? null : timeStep(nowMs) + delta;
}

/** The code for `nowMs` (tests, and the web app's tests, compute codes the same way). */
export function codeAt(secret: Buffer, nowMs: number): string {
  return totpFor(secret, '').generate({ timestamp: nowMs });
}

function totpFor(secret: Buffer, label: string): TOTP {
  return new TOTP({
    issuer: ISSUER,
    label,
    algorithm: 'SHA1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD,
    secret: new Secret({ buffer: toArrayBuffer(secret) }),
  });
}

function toArrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}
