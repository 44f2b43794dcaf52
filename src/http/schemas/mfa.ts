import { Type } from 'typebox';
import { Nullable, Time } from './common.js';

/** Second-factor shapes (docs/api.md "Second factor"). */

export const SignInMethodSchema = Type.Union([Type.Literal('totp'), Type.Literal('passkey'), Type.Literal('recoveryCode')]);

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

export const PasskeySchema = Type.Object({ id: Type.String(), name: Type.String(), createdAt: Time, lastUsedAt: Nullable(Time) });

const Open = Type.Object({}, { additionalProperties: true });
const CredentialDescriptors = Type.Array(
  Type.Object({ id: Type.String(), type: Type.String(), transports: Type.Optional(Type.Array(Type.String())) }),
);

/** PublicKeyCredentialCreationOptionsJSON: what @simplewebauthn/browser's startRegistration takes. */
export const CreationOptionsSchema = Type.Object({
  challenge: Type.String(),
  rp: Type.Object({ name: Type.String(), id: Type.Optional(Type.String()) }),
  user: Type.Object({ id: Type.String(), name: Type.String(), displayName: Type.String() }),
  pubKeyCredParams: Type.Array(Type.Object({ alg: Type.Integer(), type: Type.String() })),
  timeout: Type.Optional(Type.Integer()),
  attestation: Type.Optional(Type.String()),
  excludeCredentials: Type.Optional(CredentialDescriptors),
  authenticatorSelection: Type.Optional(
    Type.Object(
      {
        residentKey: Type.Optional(Type.String()),
        requireResidentKey: Type.Optional(Type.Boolean()),
        userVerification: Type.Optional(Type.String()),
        authenticatorAttachment: Type.Optional(Type.String()),
      },
      { additionalProperties: true },
    ),
  ),
  extensions: Type.Optional(Open),
  hints: Type.Optional(Type.Array(Type.String())),
});

/** PublicKeyCredentialRequestOptionsJSON: what startAuthentication takes. */
export const RequestOptionsSchema = Type.Object({
  challenge: Type.String(),
  rpId: Type.Optional(Type.String()),
  timeout: Type.Optional(Type.Integer()),
  userVerification: Type.Optional(Type.String()),
  allowCredentials: Type.Optional(CredentialDescriptors),
  extensions: Type.Optional(Open),
});
