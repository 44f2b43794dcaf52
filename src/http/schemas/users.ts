import { type Static, Type } from 'typebox';
import type { PublicUser } from '../../auth/users.js';
import { Id, Nullable, Time } from './common.js';

export const RoleSchema = Type.Union([Type.Literal('merchant'), Type.Literal('admin')]);

export const UserSchema = Type.Object({ id: Id, username: Type.String(), role: RoleSchema, createdAt: Time });

/** A user as administrators see them (GET /api/admin/users, PATCH /api/admin/users/:id). */
export const AdminUserSchema = Type.Object({
  id: Id,
  username: Type.String(),
  role: RoleSchema,
  disabled: Type.Boolean(),
  activeSessions: Type.Integer(),
  createdAt: Time,
  lastLoginAt: Nullable(Time),
});

// The domain's own view (auth/users.ts publicUser) and the contract agree, or this fails to compile.
type SameAs<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
export const publicUserMatches: SameAs<Readonly<Static<typeof UserSchema>>, PublicUser> = true;
