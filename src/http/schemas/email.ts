import { Type } from 'typebox';
import { Nullable } from './common.js';
import { UserSchema } from './users.js';

/** Answers of the e-mail routes (docs/api.md "E-mail and account recovery"). */

/** GET /api/me/email: the confirmed address, and one waiting for its link. */
export const EmailStateSchema = Type.Object({
  email: Nullable(Type.String()),
  emailVerified: Type.Boolean(),
  pendingEmail: Nullable(Type.String()),
});

/** The user as POST /api/auth/verify-email answers: the v1 user plus its address. */
export const UserWithEmailSchema = Type.Object({
  ...UserSchema.properties,
  email: Nullable(Type.String()),
  emailVerified: Type.Boolean(),
});
