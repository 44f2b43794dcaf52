import { type Static, Type } from 'typebox';

/**
 * Requests of the passkey routes (docs/api.md "Second factor"): WebAuthn responses as
 * @simplewebauthn/browser sends them (base64url fields). Shape and size only: the signature, the
 * challenge, the origin and the RP ID are checked by auth/second-factor/passkeys.ts, where anything
 * malformed inside these strings is one refusal.
 */

const B64 = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: '^[A-Za-z0-9_-]+={0,2}$' });
const Transports = Type.Array(Type.String({ maxLength: 32 }), { maxItems: 8 });
const Extensions = Type.Object({}, { additionalProperties: true, maxProperties: 16 });
const Attachment = Type.Optional(Type.String({ maxLength: 32 }));

/** What navigator.credentials.create() gave, as JSON. */
export const RegistrationResponse = Type.Object({
  id: B64(1400),
  rawId: B64(1400),
  type: Type.Literal('public-key'),
  response: Type.Object({
    clientDataJSON: B64(4096),
    attestationObject: B64(16384),
    transports: Type.Optional(Transports),
    authenticatorData: Type.Optional(B64(8192)),
    publicKey: Type.Optional(B64(4096)),
    publicKeyAlgorithm: Type.Optional(Type.Integer()),
  }),
  clientExtensionResults: Extensions,
  authenticatorAttachment: Attachment,
});

/** What navigator.credentials.get() gave, as JSON: the `passkey` of a sign-in, step-up or reset. */
export const AuthenticationResponse = Type.Object({
  id: B64(1400),
  rawId: B64(1400),
  type: Type.Literal('public-key'),
  response: Type.Object({
    clientDataJSON: B64(4096),
    authenticatorData: B64(8192),
    signature: B64(2048),
    userHandle: Type.Optional(Type.String({ maxLength: 128, pattern: '^[A-Za-z0-9_-]*={0,2}$' })),
  }),
  clientExtensionResults: Extensions,
  authenticatorAttachment: Attachment,
});
export type AuthenticationResponse = Static<typeof AuthenticationResponse>;

export const PasskeyName = Type.String({ maxLength: 64 });

export const PasskeyRegisterBody = Type.Object(
  { response: RegistrationResponse, name: Type.Optional(PasskeyName) },
  { additionalProperties: false },
);
export type PasskeyRegisterBody = Static<typeof PasskeyRegisterBody>;

export const PasskeyRenameBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });

export const PasskeySignInBody = Type.Object({ response: AuthenticationResponse }, { additionalProperties: false });
