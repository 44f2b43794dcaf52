import { type Static, Type } from 'typebox';

/*
 * Requests of the sign-up, sign-in, step-up, password and password-reset routes. Credentials are bounded
 * well above any real one: a 100 KB "password" is refused before any hashing (docs/security.md S-44).
 */

const Username = Type.String({ minLength: 1, maxLength: 128 });
export const Password = Type.String({ minLength: 1, maxLength: 1024 });

export const RegisterBody = Type.Object({ username: Username, password: Password }, { additionalProperties: false });
export type RegisterBody = Static<typeof RegisterBody>;

export const LoginBody = Type.Object(
  { username: Username, password: Password, remember: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBody>;

/** Step-up, and account deletion: the password again. */
export const PasswordBody = Type.Object({ password: Password }, { additionalProperties: false });
export type PasswordBody = Static<typeof PasswordBody>;

export const PasswordChangeBody = Type.Object({ currentPassword: Password, newPassword: Password }, { additionalProperties: false });
export type PasswordChangeBody = Static<typeof PasswordChangeBody>;

/** `:token` of a password-reset link. */
export const ResetTokenParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: 64 }) });

export const NewPasswordBody = Type.Object({ newPassword: Password }, { additionalProperties: false });
