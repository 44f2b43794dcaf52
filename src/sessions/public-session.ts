import type { SessionRecord } from './session.js';

/** The public shape of a session (API.md `session`): a handle and times, never the token or its hash. */
export function publicSession(s: SessionRecord) {
  return {
    id: s.id,
    createdAt: s.createdAt.toISOString(),
    lastSeenAt: s.lastSeenAt.toISOString(),
    authenticatedAt: s.authenticatedAt.toISOString(),
    idleExpiresAt: s.idleExpiresAt.toISOString(),
    absoluteExpiresAt: s.absoluteExpiresAt.toISOString(),
  };
}
