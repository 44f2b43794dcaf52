import { emailKey, parseEmail } from '../auth/email-address.js';
import { DELETED_USER, type Person } from '../inventory/people.js';
import type { Db, Queryable } from '../db/db.js';
import { AppError } from '../errors.js';
import type { MailQueue } from '../mail/queue.js';
import { invitationMail } from '../mail/templates.js';
import { hashToken, isWellFormedToken, newToken } from '../sessions/tokens.js';
import { atLeast } from './membership.js';
import type { ActiveShop, ShopRole } from './shops.js';

/*
 * Invitations to join a shop (docs/api.md "Shops, members, invitations"): a single-use link
 * `PUBLIC_URL/#/join/<token>`, valid for 7 days, for one role.
 *
 * How it can fail, and why it is written so:
 * - The token is 256 random bits; only SHA-256 of it is stored (a leaked row or backup opens nothing),
 *   and it appears in exactly one answer, the one that creates it. A value that is not shaped like a
 *   token is never looked up.
 * - One answer for every dead link: unknown, used, expired, withdrawn, bound to an address the caller
 *   has not verified, or from an inviter who no longer holds a role that may grant it (demoted, removed,
 *   erased, promoted to platform admin) are the same 404, so a probe learns nothing about which.
 *   "Alive" is one SQL condition (LIVE below), used by the preview, the pending list and the accept, so
 *   the three can never disagree.
 * - Two accepts of one token racing: the accept is a conditional `UPDATE … WHERE used_at IS NULL AND …
 *   RETURNING` in the transaction that adds the membership. On the PostgreSQL server the second waits
 *   for the first's row lock, re-reads the row (READ COMMITTED) and finds it used: exactly one wins.
 * - A manager may grant clerk or viewer only, an owner any role (the role bound is enforced at creation
 *   — 403 — and again, through LIVE, at every use: an inviter demoted since then no longer grants it).
 * - An e-mail-bound invitation is accepted only by an account whose *verified* address it is
 *   (users.email holds verified addresses only); anyone else gets the same 404 as for an unknown link.
 */

export const INVITATION_TTL_SECONDS = 7 * 24 * 3600;

export interface Invitation {
  readonly id: string;
  readonly role: ShopRole;
  readonly email: string | null;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly createdBy: Person;
}

export interface IssuedInvitation {
  readonly invitation: Invitation;
  readonly token: string;
  readonly url: string;
}

export interface InvitationPreview {
  readonly shopName: string;
  readonly role: ShopRole;
  readonly expiresAt: string;
}

/** Whether `inviter` (their role in the shop) may invite someone as `role`. */
export function mayGrant(inviter: ShopRole, role: ShopRole): boolean {
  return inviter === 'owner' || (atLeast(inviter, 'manager') && !atLeast(role, 'manager'));
}

export const invitationUrl = (publicUrl: string, token: string) => `${publicUrl}/#/join/${token}`;

const notFound = () => new AppError('not_found', 'This invitation is not valid: it may have been used, withdrawn or have expired.');

/**
 * The invitation `i` is alive at `now` (a parameter, e.g. '$2'): not used, not withdrawn, not expired,
 * and its inviter is still a merchant who holds, in that shop, a role that may grant it (mayGrant, in
 * SQL). Conditions on `i` itself and a correlated EXISTS, never a join: when the accept's UPDATE waits
 * for a racing accept's row lock, PostgreSQL re-checks exactly these against the row's new version (a
 * joined second copy of the row would keep its old, unused version and let both win).
 */
const live = (now: string) => `
       i.used_at IS NULL AND i.withdrawn_at IS NULL AND i.expires_at > ${now}
       AND EXISTS (
         SELECT 1 FROM users inviter JOIN memberships grantor ON grantor.user_id = inviter.id
          WHERE inviter.id = i.created_by AND inviter.role = 'merchant' AND grantor.shop_id = i.shop_id
            AND (grantor.role = 'owner' OR (grantor.role = 'manager' AND i.role IN ('clerk', 'viewer'))))`;

interface InvitationRow {
  id: string;
  role: ShopRole;
  email: string | null;
  created_at: Date;
  expires_at: Date;
  created_by: string | null;
  inviter_name: string | null;
}

const toInvitation = (r: InvitationRow): Invitation => ({
  id: r.id,
  role: r.role,
  email: r.email,
  createdAt: r.created_at.toISOString(),
  expiresAt: r.expires_at.toISOString(),
  createdBy: r.created_by && r.inviter_name ? { userId: r.created_by, username: r.inviter_name } : { userId: null, username: DELETED_USER },
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class Invitations {
  constructor(
    private readonly db: Db,
    private readonly queue: MailQueue,
    private readonly publicUrl: string,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * A new invitation to the inviter's shop; with `email`, the link is queued to that address in the same
   * transaction (no invitation without its mail, no mail without its invitation). 403 when the inviter's
   * role may not grant `role`; 400 for a malformed address.
   */
  async create(shopId: string, inviter: { userId: string; role: ShopRole }, role: ShopRole, rawEmail?: string): Promise<IssuedInvitation> {
    if (!mayGrant(inviter.role, role)) throw new AppError('forbidden', 'Managers may invite clerks and viewers only.');
    const email = rawEmail === undefined ? null : parseEmail(rawEmail).email;
    const token = newToken();
    const url = invitationUrl(this.publicUrl, token);
    const createdAt = new Date(this.now());
    const expiresAt = new Date(createdAt.getTime() + INVITATION_TTL_SECONDS * 1000);
    return this.db.transaction(async (tx) => {
      const res = await tx.query<InvitationRow & { shop_name: string }>(
        `WITH created AS (
           INSERT INTO invitations (shop_id, token_hash, role, email, created_by, created_at, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           RETURNING id, shop_id, role, email, created_at, expires_at, created_by)
         SELECT c.id, c.role, c.email, c.created_at, c.expires_at, c.created_by, u.username AS inviter_name, s.name AS shop_name
           FROM created c JOIN users u ON u.id = c.created_by JOIN shops s ON s.id = c.shop_id`,
        [shopId, hashToken(token), role, email, inviter.userId, createdAt, expiresAt],
      );
      const row = res.rows[0];
      if (!row) throw new Error('invitations: INSERT returned no row');
      if (email !== null) {
        await this.queue.enqueue(invitationMail(email, row.inviter_name ?? DELETED_USER, row.shop_name, role, url, '7 days'), null, tx);
      }
      return { invitation: toInvitation(row), token, url };
    });
  }

  /** The shop's invitations that can still be accepted, newest first (never a token: only hashes are kept). */
  async pending(shopId: string): Promise<Invitation[]> {
    const res = await this.db.query<InvitationRow>(
      `SELECT i.id, i.role, i.email, i.created_at, i.expires_at, i.created_by, inviter.username AS inviter_name
         FROM invitations i LEFT JOIN users inviter ON inviter.id = i.created_by
        WHERE i.shop_id = $1 AND ${live('$2')}
        ORDER BY i.created_at DESC, i.id`,
      [shopId, new Date(this.now())],
    );
    return res.rows.map(toInvitation);
  }

  /** Withdraws a pending invitation of this shop; false (the caller answers 404) for any other id. */
  async withdraw(shopId: string, id: string): Promise<{ role: ShopRole } | null> {
    if (!UUID.test(id)) return null;
    const res = await this.db.query<{ role: ShopRole }>(
      `UPDATE invitations SET withdrawn_at = $3
        WHERE id = $1 AND shop_id = $2 AND used_at IS NULL AND withdrawn_at IS NULL AND expires_at > $3
        RETURNING role`,
      [id, shopId, new Date(this.now())],
    );
    return res.rows[0] ?? null;
  }

  /** What the link offers (public: shop name, role, expiry); 404 for every dead link alike. */
  async preview(token: string): Promise<InvitationPreview> {
    const found = await this.findLive(this.db, token);
    return { shopName: found.shopName, role: found.role, expiresAt: found.expiresAt.toISOString() };
  }

  /**
   * A live invitation by its token (404 when it is dead). `boundTo(key)` says whether a user whose
   * verified address has that key (null: none, or a sign-up) may accept it.
   */
  async findLive(q: Queryable, token: string) {
    if (!isWellFormedToken(token)) throw notFound();
    const res = await q.query<{
      id: string;
      shop_id: string;
      role: ShopRole;
      email: string | null;
      expires_at: Date;
      shop_name: string;
      created_by: string;
    }>(
      `SELECT i.id, i.shop_id, i.role, i.email, i.expires_at, i.created_by, s.name AS shop_name
         FROM invitations i JOIN shops s ON s.id = i.shop_id
        WHERE i.token_hash = $1 AND ${live('$2')}`,
      [hashToken(token), new Date(this.now())],
    );
    const row = res.rows[0];
    if (!row) throw notFound();
    // The preview passes no user: it shows what the link is for, whoever opens it.
    return {
      id: row.id,
      shopId: row.shop_id,
      role: row.role,
      email: row.email,
      expiresAt: row.expires_at,
      shopName: row.shop_name,
      invitedBy: row.created_by,
      boundTo: (key: string | null) => row.email === null || (key !== null && emailKey(row.email) === key),
    };
  }

  /**
   * Uses the invitation up and makes `userId` a member with its role, in the caller's transaction: 404
   * when the link is dead (or lost a race), or bound to another address; 409 when the user already
   * belongs to the shop (checked before the link is used, so it stays valid for the right person).
   */
  async acceptIn(tx: Queryable, token: string, userId: string, userEmailKey: string | null) {
    const found = await this.findLive(tx, token);
    if (!found.boundTo(userEmailKey)) throw notFound();
    const member = await tx.query('SELECT 1 FROM memberships WHERE shop_id = $1 AND user_id = $2', [found.shopId, userId]);
    if (member.rows.length > 0) throw new AppError('conflict', 'You are already a member of this shop.');
    const used = await tx.query<{ id: string }>(
      `UPDATE invitations i SET used_at = $2, used_by = $3
        WHERE i.token_hash = $1 AND ${live('$2')}
       RETURNING i.id`,
      [hashToken(token), new Date(this.now()), userId],
    );
    if (used.rows.length === 0) throw notFound();
    const joined = await tx.query(
      'INSERT INTO memberships (shop_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT (shop_id, user_id) DO NOTHING',
      [found.shopId, userId, found.role],
    );
    if (joined.rowCount === 0) throw new AppError('conflict', 'You are already a member of this shop.');
    return found;
  }

  /**
   * Sign-up with an invitation (POST /api/auth/register): the new account joins, in the transaction that
   * creates it, so a dead link — or one used up by a racing accept — leaves no user row. A new account
   * has no verified address, so an e-mail-bound link is 404 here.
   */
  async joinIn(tx: Queryable, token: string, userId: string): Promise<{ shop: ActiveShop; invitationId: string }> {
    const found = await this.acceptIn(tx, token, userId, null);
    const shop = await tx.query<{ id: string; name: string; currency: string; timezone: string }>(
      'SELECT id, name, currency, timezone FROM shops WHERE id = $1',
      [found.shopId],
    );
    const s = shop.rows[0];
    if (!s) throw notFound();
    return { shop: { id: s.id, name: s.name, role: found.role, currency: s.currency, timezone: s.timezone }, invitationId: found.id };
  }

  /**
   * POST /api/invitations/:token/accept: the signed-in merchant joins, and the shop becomes the active
   * shop of the calling session (no token rotation: the role is read fresh on every request).
   */
  async accept(
    token: string,
    userId: string,
    sessionIdHash: Buffer,
  ): Promise<{ shop: ActiveShop; invitationId: string; invitedBy: string }> {
    return this.db.transaction(async (tx) => {
      const me = await tx.query<{ email_key: string | null }>('SELECT email_key FROM users WHERE id = $1', [userId]);
      const found = await this.acceptIn(tx, token, userId, me.rows[0]?.email_key ?? null);
      await tx.query('UPDATE sessions SET active_shop_id = $1 WHERE id_hash = $2 AND user_id = $3', [found.shopId, sessionIdHash, userId]);
      const shop = await tx.query<{ id: string; name: string; currency: string; timezone: string }>(
        'SELECT id, name, currency, timezone FROM shops WHERE id = $1',
        [found.shopId],
      );
      const s = shop.rows[0];
      if (!s) throw notFound();
      return {
        shop: { id: s.id, name: s.name, role: found.role, currency: s.currency, timezone: s.timezone },
        invitationId: found.id,
        invitedBy: found.invitedBy,
      };
    });
  }
}
