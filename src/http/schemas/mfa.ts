import { Type } from 'typebox';
import { Nullable, Time } from './common.js';

/** Second-factor shapes (docs/api.md "Second factor"). */

export const SignInMethodSchema = Type.Union([Type.Literal('totp'), Type.Literal('recoveryCode')]);

/** The right password of a user with a second factor: no session yet. */
export const MfaRequiredSchema = Type.Object({ mfaRequired: Type.Literal(true), methods: Type.Array(SignInMethodSchema) });

export const MfaStatusSchema = Type.Object({
  totp: Type.Object({ enabled: Type.Boolean(), enabledAt: Nullable(Time) }),
  recoveryCodes: Type.Object({ remaining: Type.Integer() }),
  passkeys: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), createdAt: Time, lastUsedAt: Nullable(Time) })),
});

export const TotpEnrolmentSchema = Type.Object({
  secret: Type.String({ description: 'The key in base32, for manual entry.' }),
  otpauthUri: Type.String(),
  qrSvg: Type.String({ description: 'The QR code of otpauthUri as an SVG document, to inline.' }),
});

export const RecoveryCodesSchema = Type.Array(Type.String(), { minItems: 10, maxItems: 10 });
