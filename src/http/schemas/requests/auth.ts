import { type Static, Type } from 'typebox';
import { RecoveryCode, TotpCode } from './mfa.js';
import { AuthenticationResponse } from './passkeys.js';

/*
 * Requests of the sign-up, sign-in, step-up, password and password-reset routes. Credentials are bounded
 * well above any real one: a 100 KB "password" is refused before any hashing (docs/security.md S-44).
 */

const Username = Type.String({ minLength: 1, maxLength: 128 });
export const Password = Type.String({ minLength: 1, maxLength: 1024 });

/**
 * Sign-up: with `invitation` (the token of a join link) the account joins that shop; otherwise it opens
 * its own, named `shopName` (checked again by shops.ts's checkShopName: up to 100 characters, so up to
 * 400 UTF-16 units here) or "USERNAME's shop".
 */
export const RegisterBody = Type.Object(
  {
    username: Username,
    password: Password,
    shopName: Type.Optional(Type.String({ minLength: 1, maxLength: 400 })),
    invitation: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);
export type RegisterBody = Static<typeof RegisterBody>;

export const LoginBody = Type.Object(
  { username: Username, password: Password, remember: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBody>;

/** Step-up, and account deletion: the password again. */
export const PasswordBody = Type.Object({ password: Password }, { additionalProperties: false });
export type PasswordBody = Static<typeof PasswordBody>;

/**
 * Step-up (POST /api/auth/reauthenticate): the password, and with a second factor enrolled a code or a
 * recovery code (docs/security.md S-81; the handler says which is needed).
 */
export const ReauthBody = Type.Union([
  Type.Object(
    { password: Password, code: Type.Optional(TotpCode), recoveryCode: Type.Optional(RecoveryCode) },
    { additionalProperties: false },
  ),
  // A user-verified passkey is both factors at once (its challenge from POST /api/auth/reauthenticate/options).
  Type.Object({ passkey: AuthenticationResponse }, { additionalProperties: false }),
]);
export type ReauthBody = Static<typeof ReauthBody>;

export const PasswordChangeBody = Type.Object({ currentPassword: Password, newPassword: Password }, { additionalProperties: false });
export type PasswordChangeBody = Static<typeof PasswordChangeBody>;

/** `:token` of a password-reset link. */
export const ResetTokenParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: 64 }) });

/**
 * The reset link's POST: the new password and, when the user has a second factor, one of its proofs
 * (docs/api.md "E-mail and account recovery"). A TOTP code (RFC 6238, 6 digits) and a recovery code are
 * plain ASCII: anything else is a 400 before anything is looked up.
 */
export const NewPasswordBody = Type.Object(
  {
    newPassword: Password,
    code: Type.Optional(Type.String({ pattern: '^[0-9]{6}$' })),
    recoveryCode: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$' })),
    passkey: Type.Optional(AuthenticationResponse),
  },
  { additionalProperties: false },
);
