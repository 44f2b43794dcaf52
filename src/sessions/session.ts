/** What a session is, as the engine hands it out (never the token, never its hash). */

export type Role = 'merchant' | 'admin';

/** The signed-in user as the session check sees it: enough to authorize, nothing more. */
export interface SessionUser {
  readonly id: string;
  readonly username: string;
  readonly role: Role;
  readonly createdAt: Date;
}

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
