import type { Db, Queryable } from '../db/db.js';
import { deviceSummary, truncateIp } from '../lib/client-info.js';

/**
 * The audit trail (S-46, S-69): an append-only table of security events, and the same event as one
 * structured log line. Both carry the time, the event name, whose account, who acted, the truncated
 * address and the device summary; never a password, a token, a CSRF token or a full address in the
 * table (the log line is a security log and keeps Fastify's usual remoteAddress).
 *
 * Recording never fails the request it describes: a database error is logged at error level and the
 * action stands. (The action has already happened; refusing to report it would only hide it.)
 */

export const AUDIT_TYPES = [
  'account.created',
  'login.success',
  'login.failure',
  'login.lockout',
  'logout',
  'session.revoked',
  'sessions.revoked_others',
  'password.changed',
  'password.change_failure',
  'reauth.success',
  'reauth.failure',
  'admin.created',
  'admin.user_disabled',
  'admin.user_enabled',
  'admin.role_changed',
  'password.reset_issued',
  'password.reset',
  'password.reset_requested',
  'password.reset_factor_failure',
  'email.change_requested',
  'email.verified',
  'pseudonym_key.rotated',
  'account.deleted',
  'account.delete_failure',
  'export',
  'csrf.failure',
  'authz.denied',
  'shop.created',
  'shop.updated',
  'shop.deleted',
  'shop.delete_failure',
  'shop.member_role_changed',
  'shop.member_removed',
  'shop.member_left',
  'invitation.created',
  'invitation.withdrawn',
  'invitation.accepted',
  'count.started',
  'count.committed',
  'count.abandoned',
  'mfa.totp_enrolled',
  'mfa.totp_confirmed',
  'mfa.totp_disabled',
  'mfa.recovery_codes_regenerated',
  'mfa.recovery_code_used',
  'mfa.failure',
  'mfa.reset',
  'passkey.registered',
  'passkey.renamed',
  'passkey.removed',
  'passkey.counter_regression',
] as const;

export type AuditType = (typeof AUDIT_TYPES)[number];

/** Failures, lockouts and refusals go out at warn level; the rest at info. */
const WARN: ReadonlySet<AuditType> = new Set([
  'login.failure',
  'login.lockout',
  'reauth.failure',
  'password.change_failure',
  'account.delete_failure',
  'shop.delete_failure',
  'csrf.failure',
  'authz.denied',
  'mfa.failure',
  'password.reset_factor_failure',
  'passkey.counter_regression',
]);

/** Plain values only; no secrets, no usernames, no full addresses. */
export type AuditDetails = Readonly<Record<string, string | number | boolean | null>>;

export interface AuditFields {
  /** The account the event concerns. */
  userId?: string | null;
  /** Who acted, when someone else did (an admin). */
  actorId?: string | null;
  details?: AuditDetails;
}

/** What the audit needs of a request; a FastifyRequest fits (this module does not import Fastify). */
export interface AuditContext {
  readonly id: string;
  readonly ip: string;
  readonly headers: { readonly 'user-agent'?: string | undefined };
  readonly log: {
    info(obj: object, msg?: string): void;
    warn(obj: object, msg?: string): void;
    error(obj: object, msg?: string): void;
  };
}

export interface AuditEvent {
  id: string;
  at: Date;
  type: string;
  userId: string | null;
  actorId: string | null;
  subject: string | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
}

interface Row {
  id: string | number;
  at: Date;
  type: string;
  user_id: string | null;
  actor_id: string | null;
  subject: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  details: Record<string, unknown> | string;
}

const COLUMNS = 'id, at, type, user_id, actor_id, subject, ip, user_agent, request_id, details';

function toEvent(r: Row): AuditEvent {
  return {
    id: String(r.id),
    at: r.at,
    type: r.type,
    userId: r.user_id,
    actorId: r.actor_id,
    subject: r.subject,
    ip: r.ip,
    userAgent: r.user_agent,
    requestId: r.request_id,
    details: typeof r.details === 'string' ? JSON.parse(r.details) : r.details,
  };
}

export class AuditLog {
  constructor(private readonly db: Db) {}

  /**
   * Records an event of a request: truncates the address, summarises the user agent, writes the row
   * and the log line. Never throws.
   */
  async event(request: AuditContext, type: AuditType, fields: AuditFields = {}): Promise<void> {
    const line = { event: type, userId: fields.userId ?? undefined, actorId: fields.actorId ?? undefined, ...fields.details };
    if (WARN.has(type)) request.log.warn(line, type);
    else request.log.info(line, type);
    try {
      await this.insert(this.db, {
        type,
        userId: fields.userId ?? null,
        actorId: fields.actorId ?? null,
        ip: truncateIp(request.ip),
        userAgent: deviceSummary(request.headers['user-agent']),
        requestId: request.id,
        details: fields.details ?? {},
      });
    } catch (err) {
      request.log.error({ err, event: type }, 'audit event not recorded');
    }
  }

  /** An event without a request (CLI, background jobs). Throws on failure: the caller reports it. */
  async system(type: AuditType, fields: AuditFields & { subject?: string }, q: Queryable = this.db): Promise<void> {
    await this.insert(q, {
      type,
      userId: fields.userId ?? null,
      actorId: fields.actorId ?? null,
      subject: fields.subject ?? null,
      ip: null,
      userAgent: null,
      requestId: null,
      details: fields.details ?? {},
    });
  }

  private async insert(
    q: Queryable,
    e: {
      type: AuditType;
      userId: string | null;
      actorId: string | null;
      subject?: string | null;
      ip: string | null;
      userAgent: string | null;
      requestId: string | null;
      details: AuditDetails;
    },
  ): Promise<void> {
    await q.query(
      `INSERT INTO audit_events (type, user_id, actor_id, subject, ip, user_agent, request_id, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)`,
      [e.type, e.userId, e.actorId, e.subject ?? null, e.ip, e.userAgent, e.requestId, JSON.stringify(e.details)],
    );
  }

  /** A user's own events, newest first. */
  async forUser(userId: string, limit: number): Promise<AuditEvent[]> {
    const res = await this.db.query<Row>(`SELECT ${COLUMNS} FROM audit_events WHERE user_id = $1 ORDER BY id DESC LIMIT $2`, [
      userId,
      limit,
    ]);
    return res.rows.map(toEvent);
  }

  /** Every event, newest first, keyset-paged by id (`before`: the last id of the previous page). */
  async page(opts: { before?: string; limit: number; userId?: string; type?: string }): Promise<AuditEvent[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (opts.before !== undefined) where.push(`id < $${params.push(opts.before)}::bigint`);
    if (opts.userId !== undefined) where.push(`user_id = $${params.push(opts.userId)}::uuid`);
    if (opts.type !== undefined) where.push(`type = $${params.push(opts.type)}`);
    const res = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM audit_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY id DESC LIMIT $${params.push(opts.limit)}`,
      params,
    );
    return res.rows.map(toEvent);
  }

  /**
   * Strips a user's personal data from their rows (account deletion), inside the caller's transaction,
   * before the user row goes (whose foreign keys then set user_id and actor_id NULL). `subject` is the
   * pseudonym that keeps the rows linkable to one unnamed account.
   */
  async anonymizeUser(tx: Queryable, userId: string, subject: string): Promise<void> {
    await tx.query(
      `UPDATE audit_events
          SET ip = NULL, user_agent = NULL,
              subject = CASE WHEN user_id = $1 THEN COALESCE(subject, $2) ELSE subject END
        WHERE user_id = $1 OR actor_id = $1`,
      [userId, subject],
    );
  }

  /** Deletes up to `limit` rows older than `cutoff` (retention); returns how many. */
  async purgeBefore(cutoff: Date, limit: number): Promise<number> {
    const res = await this.db.query(
      'DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE at < $1 ORDER BY at LIMIT $2)',
      [cutoff, limit],
    );
    return res.rowCount;
  }
}
