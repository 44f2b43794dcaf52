import { type Static, Type } from 'typebox';
import { AuthenticationResponse } from './passkeys.js';

/** Requests of the second-factor routes (docs/api.md "Second factor"). */

/** A TOTP code as typed: the domain accepts exactly six digits; anything else within this bound is a wrong code. */
export const TotpCode = Type.String({ minLength: 1, maxLength: 16 });
/** A recovery code as typed (dashes and spaces allowed). */
export const RecoveryCode = Type.String({ minLength: 1, maxLength: 64 });

export const TotpConfirmBody = Type.Object({ code: TotpCode }, { additionalProperties: false });
export type TotpConfirmBody = Static<typeof TotpConfirmBody>;

/** The second step of a sign-in: one way to finish. */
export const SecondStepBody = Type.Union([
  Type.Object({ code: TotpCode }, { additionalProperties: false }),
  Type.Object({ recoveryCode: RecoveryCode }, { additionalProperties: false }),
  Type.Object({ passkey: AuthenticationResponse }, { additionalProperties: false }),
]);
export type SecondStepBody = Static<typeof SecondStepBody>;
