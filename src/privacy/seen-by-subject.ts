import type { AuditEvent } from '../auth/audit.js';

/**
 * An audit event as the account it concerns sees it (the activity view and the data export, S-66):
 * their own actions with their address and device, and what someone else did to their account as done
 * "by an administrator" — never that person's address, device, name or id. The audit trail itself keeps
 * all of it for admins (GET /api/admin/audit); a merchant whose sessions were ended learns who and where
 * from nothing here (issue 11 item 10: they were shown the admin's address and device).
 */
export interface SubjectEvent {
  type: string;
  at: string;
  ip: string | null;
  userAgent: string | null;
  byAdmin: boolean;
}

export function seenBySubject(e: AuditEvent, subjectId: string): SubjectEvent {
  const byAdmin = e.actorId !== null && e.actorId !== subjectId;
  return {
    type: e.type,
    at: e.at.toISOString(),
    ip: byAdmin ? null : e.ip,
    userAgent: byAdmin ? null : e.userAgent,
    byAdmin,
  };
}
