/** Who a user is, as every layer that authorizes sees them (sessions carry it; auth owns it). */

export type Role = 'merchant' | 'admin';

/** The signed-in user as the session check sees it: enough to authorize, nothing more. */
export interface SessionUser {
  readonly id: string;
  readonly username: string;
  readonly role: Role;
  readonly createdAt: Date;
}
