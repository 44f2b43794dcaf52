import { type Static, Type } from 'typebox';

/*
 * Requests of the e-mail and account-recovery routes (docs/api.md "E-mail and account recovery"). No
 * control characters or lone surrogates: no username or address holds one, and PostgreSQL text cannot
 * hold NUL (a 400 here, never a 500 from the database).
 */

const PlainText = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: '^[^\\p{Cc}\\p{Cs}]+$' });

export const EmailBody = Type.Object({ email: PlainText(320) }, { additionalProperties: false });
export type EmailBody = Static<typeof EmailBody>;

/** The token of a confirmation link travels in the body (the page POSTs it; a GET of the link changes nothing). */
export const VerifyEmailBody = Type.Object({ token: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });
export type VerifyEmailBody = Static<typeof VerifyEmailBody>;

/** "Forgot password?": a username or an e-mail address. */
export const ResetRequestBody = Type.Object({ login: PlainText(320) }, { additionalProperties: false });
export type ResetRequestBody = Static<typeof ResetRequestBody>;
