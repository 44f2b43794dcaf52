import { type Static, Type } from 'typebox';
import { LimitParam, Query, StringEnum } from './common.js';

/** Requests of the administration routes (docs/api.md "Admin"). Cursors, ids and types are checked again by the handlers. */

export const AdminUsersQuery = Query({ cursor: Type.String({ maxLength: 400 }), limit: LimitParam(4) });

/** Disable, enable or change the role of a user: at least one of them. */
export const AdminUserPatchBody = Type.Object(
  { disabled: Type.Optional(Type.Boolean()), role: Type.Optional(StringEnum(['merchant', 'admin'])) },
  { additionalProperties: false, minProperties: 1 },
);
export type AdminUserPatchBody = Static<typeof AdminUserPatchBody>;

export const AuditQuery = Query({
  cursor: Type.String({ pattern: '^[0-9]{1,19}$' }),
  limit: LimitParam(4),
  userId: Type.String({ maxLength: 64 }),
  type: Type.String({ maxLength: 64 }),
});

/** A password-reset link for a user; `invalidatePassword` also voids the current password at once. */
export const ResetIssueBody = Type.Object({ invalidatePassword: Type.Optional(Type.Boolean()) }, { additionalProperties: false });
