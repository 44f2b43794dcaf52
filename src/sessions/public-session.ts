import { memoisedPerObject } from '../lib/memoise.js';
import type { SessionRecord } from './session.js';

/** The public shape of a session (docs/api.md `session`): a handle and times, never the token or its hash. */
export interface PublicSession {
  readonly id: string;
  readonly createdAt: string;
  readonly lastSeenAt: string;
  readonly authenticatedAt: string;
  readonly idleExpiresAt: string;
  readonly absoluteExpiresAt: string;
}

/*
 * Memoised per record: "who am I" answers with the session on every page load, and five ISO date
 * formats were ~5 % of that request in the CPU profile. A record is never mutated (a renewal makes a
 * new one), so its public view cannot go stale.
 */
export const publicSession = memoisedPerObject(
  (s: SessionRecord): PublicSession =>
    Object.freeze({
      id: s.id,
      createdAt: s.createdAt.toISOString(),
      lastSeenAt: s.lastSeenAt.toISOString(),
      authenticatedAt: s.authenticatedAt.toISOString(),
      idleExpiresAt: s.idleExpiresAt.toISOString(),
      absoluteExpiresAt: s.absoluteExpiresAt.toISOString(),
    }),
);
