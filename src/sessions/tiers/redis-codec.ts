import type { Role, SessionUser } from '../../auth/user.js';
import type { SessionRecord } from '../session.js';

/**
 * The session as Redis holds it: one compact binary string, because bytes per session are a budget
 * (docs/operations.md, "Scaling out", has the measured figures: ~75 bytes for a typical session, which
 * keeps the whole key inside jemalloc's 80-byte class; JSON would be ~400). The token hash is not in
 * the value: it is the key.
 *
 * Layout (integers big-endian, times in ms):
 *
 *   0       0x80 | flags — 1 remember · 2 role admin · 4 userId as 16-byte UUID · 8 publicId as 12 raw
 *           bytes · 16 userAgent as a 1-byte code · 32 ip as IPv4 /24 (3 bytes) · 64 ip as IPv6 /48 (6)
 *           (a value whose first byte is below 0x80 is a fill in progress, never a session)
 *   1..6    lastSeenAt                        48 bits since the epoch
 *   7..11   idleExpiresAt − lastSeenAt        40 bits (up to 34 years)
 *   12..17  createdAt                         48 bits since the epoch
 *   18..22  absoluteExpiresAt − createdAt     40 bits
 *   then    authenticatedAt − createdAt, user.createdAt − createdAt (signed varints: usually 1 and 5 bytes),
 *           userId (16 bytes, or varint length + UTF-8), publicId (12 bytes, or length + UTF-8),
 *           userAgent (1 byte for any of lib/client-info.ts's device summaries, or length + UTF-8),
 *           ip (3 or 6 bytes for a truncated address, or length + UTF-8), username (length + UTF-8)
 *
 * Every shortcut is taken only when decoding gives back exactly the same value; anything else is stored
 * as text, so the codec never changes what it was given (and throws, rather than store something else,
 * when a time is out of range: the caller then simply does not cache that session).
 *
 * The renewal fields sit at fixed offsets so the renewal script (tiers/redis-tier.ts) can check and replace
 * them in place, in Lua, without decoding the rest.
 */

/** Offsets the Lua renewal script relies on (0-based; Lua's string.byte is 1-based: +1). */
export const OFFSET = { lastSeenAt: 1, idleDelta: 7, createdAt: 12, absoluteDelta: 18 } as const;
const FIXED = 23;
const SESSION = 0x80;

const F_REMEMBER = 1;
const F_ADMIN = 2;
const F_UUID = 4;
const F_PUBLIC_ID_RAW = 8;
const F_UA_CODED = 16;
const F_IP_V4 = 32;
const F_IP_V6 = 64;

/** The device summaries of lib/client-info.ts, by index (0 = absent). */
const BROWSER_NAMES = ['', 'Edge', 'Opera', 'Firefox', 'Chrome', 'Safari', 'curl', 'Node.js'];
const SYSTEM_NAMES = ['', 'Android', 'iOS', 'Windows', 'macOS', 'ChromeOS', 'Linux'];

function uaText(code: number): string {
  const b = BROWSER_NAMES[code >> 3] ?? '';
  const s = SYSTEM_NAMES[code & 7] ?? '';
  if (b && s) return `${b} on ${s}`;
  return b || s || 'Unknown device';
}

/** Every summary deviceSummary() can produce → its one-byte code. */
const UA_CODES = new Map<string, number>();
for (let b = 0; b < BROWSER_NAMES.length; b++) {
  for (let sys = 0; sys < SYSTEM_NAMES.length; sys++) {
    const code = (b << 3) | sys;
    if (!UA_CODES.has(uaText(code))) UA_CODES.set(uaText(code), code);
  }
}

function uaCode(ua: string): number | undefined {
  return UA_CODES.get(ua);
}

function ipBytes(ip: string): { flag: number; bytes: Buffer } | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.0\/24$/.exec(ip);
  if (v4) {
    const bytes = Buffer.from([Number(v4[1]), Number(v4[2]), Number(v4[3])]);
    return ipText(F_IP_V4, bytes) === ip ? { flag: F_IP_V4, bytes } : undefined;
  }
  const v6 = /^([0-9a-f]{1,4}):([0-9a-f]{1,4}):([0-9a-f]{1,4})::\/48$/.exec(ip);
  if (v6) {
    const bytes = Buffer.alloc(6);
    for (let i = 0; i < 3; i++) bytes.writeUInt16BE(Number.parseInt(v6[i + 1]!, 16), i * 2);
    return ipText(F_IP_V6, bytes) === ip ? { flag: F_IP_V6, bytes } : undefined;
  }
  return undefined;
}

function ipText(flag: number, b: Buffer): string {
  if (flag === F_IP_V4) return `${b[0]}.${b[1]}.${b[2]}.0/24`;
  return `${b.readUInt16BE(0).toString(16)}:${b.readUInt16BE(2).toString(16)}:${b.readUInt16BE(4).toString(16)}::/48`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** newPublicId(): 12 random bytes as base64url, which is exactly 16 characters and round-trips. */
const PUBLIC_ID_12 = /^[A-Za-z0-9_-]{16}$/;

const MAX_48 = 2 ** 48 - 1;
const MAX_40 = 2 ** 40 - 1;

function writeUInt(buf: Buffer, offset: number, value: number, bytes: 5 | 6, what: string): void {
  const max = bytes === 6 ? MAX_48 : MAX_40;
  if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError(`redis codec: ${what} out of range: ${value}`);
  buf.writeUIntBE(value, offset, bytes);
}

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}

/** Signed as unsigned (zigzag), without 32-bit bit operations: times need up to 49 bits. */
function signedVarint(n: number): Buffer {
  if (!Number.isSafeInteger(n)) throw new RangeError(`redis codec: ${n} is not a whole number of ms`);
  return varint(n >= 0 ? n * 2 : -n * 2 - 1);
}

function text(s: string): Buffer[] {
  const b = Buffer.from(s, 'utf8');
  return [varint(b.length), b];
}

/** Encodes a session and its user snapshot. Throws RangeError for times it cannot hold exactly. */
export function encodeSession(s: SessionRecord, user: SessionUser): Buffer {
  if (user.role !== 'merchant' && user.role !== 'admin') throw new Error(`redis codec: unknown role ${String(user.role)}`);
  const head = Buffer.alloc(FIXED);
  const uuid = UUID.test(s.userId);
  const rawId = PUBLIC_ID_12.test(s.id);
  const ua = uaCode(s.userAgent);
  const ip = ipBytes(s.ip);
  const created = s.createdAt.getTime();
  const seen = s.lastSeenAt.getTime();
  head[0] =
    SESSION |
    (s.remember ? F_REMEMBER : 0) |
    (user.role === 'admin' ? F_ADMIN : 0) |
    (uuid ? F_UUID : 0) |
    (rawId ? F_PUBLIC_ID_RAW : 0) |
    (ua !== undefined ? F_UA_CODED : 0) |
    (ip?.flag ?? 0);
  writeUInt(head, OFFSET.lastSeenAt, seen, 6, 'lastSeenAt');
  writeUInt(head, OFFSET.idleDelta, s.idleExpiresAt.getTime() - seen, 5, 'idle lifetime');
  writeUInt(head, OFFSET.createdAt, created, 6, 'createdAt');
  writeUInt(head, OFFSET.absoluteDelta, s.absoluteExpiresAt.getTime() - created, 5, 'absolute lifetime');
  return Buffer.concat([
    head,
    signedVarint(s.authenticatedAt.getTime() - created),
    signedVarint(user.createdAt.getTime() - created),
    ...(uuid ? [Buffer.from(s.userId.replaceAll('-', ''), 'hex')] : text(s.userId)),
    ...(rawId ? [Buffer.from(s.id, 'base64url')] : text(s.id)),
    ...(ua !== undefined ? [Buffer.from([ua])] : text(s.userAgent)),
    ...(ip ? [ip.bytes] : text(s.ip)),
    ...text(user.username),
  ]);
}

class Reader {
  constructor(
    private readonly buf: Buffer,
    public pos: number,
  ) {}

  bytes(n: number): Buffer {
    if (this.pos + n > this.buf.length) throw new Error('redis codec: truncated value');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  varint(): number {
    let n = 0;
    let mul = 1;
    for (;;) {
      const b = this.bytes(1)[0]!;
      n += (b & 0x7f) * mul;
      if (b < 0x80) return n;
      mul *= 128;
      if (mul > 2 ** 49) throw new Error('redis codec: varint too long');
    }
  }

  signed(): number {
    const z = this.varint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  text(): string {
    return this.bytes(this.varint()).toString('utf8');
  }
}

function uuidText(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Decodes a value written by encodeSession; `idHash` is the full hash the caller looked up with.
 * Throws on anything else (a corrupt or foreign value is a miss for the caller, never a session).
 */
export function decodeSession(idHash: Buffer, v: Buffer): { session: SessionRecord; user: SessionUser } {
  if (v.length < FIXED || (v[0]! & SESSION) === 0) throw new Error('redis codec: not a session value');
  const flags = v[0]!;
  const seen = v.readUIntBE(OFFSET.lastSeenAt, 6);
  const created = v.readUIntBE(OFFSET.createdAt, 6);
  const r = new Reader(v, FIXED);
  const authenticated = created + r.signed();
  const userCreated = created + r.signed();
  const userId = flags & F_UUID ? uuidText(r.bytes(16)) : r.text();
  const id = flags & F_PUBLIC_ID_RAW ? r.bytes(12).toString('base64url') : r.text();
  const userAgent = flags & F_UA_CODED ? uaText(r.bytes(1)[0]!) : r.text();
  const ip = flags & F_IP_V4 ? ipText(F_IP_V4, r.bytes(3)) : flags & F_IP_V6 ? ipText(F_IP_V6, r.bytes(6)) : r.text();
  const username = r.text();
  if (r.pos !== v.length) throw new Error('redis codec: trailing bytes');
  const role: Role = flags & F_ADMIN ? 'admin' : 'merchant';
  return {
    session: {
      idHash,
      id,
      userId,
      createdAt: new Date(created),
      lastSeenAt: new Date(seen),
      authenticatedAt: new Date(authenticated),
      idleExpiresAt: new Date(seen + v.readUIntBE(OFFSET.idleDelta, 5)),
      absoluteExpiresAt: new Date(created + v.readUIntBE(OFFSET.absoluteDelta, 5)),
      remember: (flags & F_REMEMBER) !== 0,
      userAgent,
      ip,
    },
    user: { id: userId, username, role, createdAt: new Date(userCreated) },
  };
}

/**
 * What the renewal script splices in at OFFSET.lastSeenAt: the new lastSeenAt (6 bytes) and the idle
 * lifetime from it (5 bytes). Throws RangeError like encodeSession.
 */
export function encodeRenewal(lastSeenAt: Date, idleExpiresAt: Date): Buffer {
  const b = Buffer.alloc(11);
  writeUInt(b, 0, lastSeenAt.getTime(), 6, 'lastSeenAt');
  writeUInt(b, 6, idleExpiresAt.getTime() - lastSeenAt.getTime(), 5, 'idle lifetime');
  return b;
}
