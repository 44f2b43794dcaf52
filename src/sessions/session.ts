import type { SessionUser } from '../auth/user.js';

/** What a session is, as the engine hands it out (never the token, never its hash). */

export interface SessionRecord {
  /** SHA-256 of the token, the store's key. Never leaves the server. */
  readonly idHash: Buffer;
  /** Public handle for lists and revocation; not a secret. */
  readonly id: string;
  readonly userId: string;
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
  readonly authenticatedAt: Date;
  readonly idleExpiresAt: Date;
  readonly absoluteExpiresAt: Date;
  readonly remember: boolean;
  /** A short device summary ("Firefox on Linux"), not the full header. */
  readonly userAgent: string;
  /** Truncated: IPv4 /24, IPv6 /48. */
  readonly ip: string;
}

/** A validated session with its user: what request.auth holds. */
export interface Authenticated {
  readonly session: SessionRecord;
  readonly user: SessionUser;
}
