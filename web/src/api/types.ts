/*
 * The shapes of the public API, as the server declares them: every type here is an alias into
 * schema.gen.ts, which `npm run gen:api` generates from the OpenAPI document (itself generated from the
 * server's route declarations). Nothing is written by hand but the problem shape below, so a change on
 * the server reaches the web app as a type error, not as a surprise at run time. Ids are opaque
 * strings, times ISO 8601 UTC.
 */
import type { components, paths } from './schema.gen';

type Schemas = components['schemas'];

/** The JSON body a path answers with for one status. */
type JsonAnswer<P extends keyof paths, M extends 'get' | 'post' | 'put' | 'patch' | 'delete', S extends number> = paths[P][M] extends {
  responses: { [K in S]: { content: { 'application/json': infer Body } } };
}
  ? Body
  : never;

/** The JSON body a path takes. */
type JsonBody<P extends keyof paths, M extends 'post' | 'put' | 'patch' | 'delete'> = paths[P][M] extends {
  requestBody?: { content: { 'application/json': infer Body } };
}
  ? Body
  : never;

/** The query parameters a path takes. */
type QueryOf<P extends keyof paths> = paths[P]['get'] extends { parameters: { query?: infer Query } } ? NonNullable<Query> : never;

export type Role = Schemas['User']['role'];
export type User = Schemas['User'];
export type SessionInfo = Schemas['Session'];
export type DeviceSession = Schemas['SessionListEntry'];
export type SignedIn = Schemas['SignedIn'];
/** GET /api/auth/session: the signed-in answer plus the active shop and the list of the user's shops. */
export type WhoAmI = JsonAnswer<'/api/auth/session', 'get', 200>;
export type ActiveShop = NonNullable<WhoAmI['shop']>;
export type ShopListing = WhoAmI['shops'][number];
export type ShopRole = ActiveShop['role'];
export type Registered = JsonAnswer<'/api/auth/register', 'post', 201>;
export type Reauthenticated = JsonAnswer<'/api/auth/reauthenticate', 'post', 200>;
/** register answers without `session`; login and GET /api/auth/session with it. */
export type AuthResponse = Registered | SignedIn | WhoAmI;
export type PasswordChanged = JsonAnswer<'/api/auth/password', 'post', 200>;
export type RegisterInput = JsonBody<'/api/auth/register', 'post'>;
export type Invitation = InvitationList['invitations'][number];
export type IssuedInvitation = JsonAnswer<'/api/shop/invitations', 'post', 201>;
export type InvitationList = JsonAnswer<'/api/shop/invitations', 'get', 200>;
export type InvitationInput = JsonBody<'/api/shop/invitations', 'post'>;
export type InvitationPreview = JsonAnswer<'/api/invitations/{token}', 'get', 200>;
export type JoinedShop = JsonAnswer<'/api/invitations/{token}/accept', 'post', 200>;
export type LoginInput = JsonBody<'/api/auth/login', 'post'>;
export type ReauthInput = JsonBody<'/api/auth/reauthenticate', 'post'>;
export type PasswordChangeInput = JsonBody<'/api/auth/password', 'post'>;
export type ResetPasswordInput = JsonBody<'/api/auth/password-reset/{token}', 'post'>;
export type DeleteAccountInput = JsonBody<'/api/me', 'delete'>;
export type ResetLinkRequestInput = JsonBody<'/api/auth/password-reset', 'post'>;
export type VerifyEmailInput = JsonBody<'/api/auth/verify-email', 'post'>;
export type EmailVerified = JsonAnswer<'/api/auth/verify-email', 'post', 200>;
export type EmailState = JsonAnswer<'/api/me/email', 'get', 200>;
export type SetEmailInput = JsonBody<'/api/me/email', 'put'>;
export type SessionList = JsonAnswer<'/api/sessions', 'get', 200>;
/** A sign-in's password step: signed in, or (a second factor enrolled) `{mfaRequired, methods}`. */
export type LoginAnswer = JsonAnswer<'/api/auth/login', 'post', 200>;
export type MfaRequired = Extract<LoginAnswer, { mfaRequired: true }>;
export type MfaStatus = JsonAnswer<'/api/me/mfa', 'get', 200>;
export type TotpEnrolment = JsonAnswer<'/api/me/mfa/totp', 'post', 200>;
export type TotpConfirmInput = JsonBody<'/api/me/mfa/totp/confirm', 'post'>;
export type TotpConfirmAnswer = JsonAnswer<'/api/me/mfa/totp/confirm', 'post', 200>;
export type RecoveryCodesAnswer = JsonAnswer<'/api/me/mfa/recovery-codes', 'post', 200>;
export type SecondStepInput = JsonBody<'/api/auth/login/mfa', 'post'>;
/** A second-factor proof: a code from the authenticator app, a recovery code, or a passkey assertion. */
export type SecondFactorProof = SecondStepInput;
export type Passkey = MfaStatus['passkeys'][number];
/** WebAuthn options as the server gives them (what @simplewebauthn/browser's start* functions take). */
export type PasskeyCreationOptions = JsonAnswer<'/api/me/passkeys/options', 'post', 200>;
export type PasskeyRequestOptions = JsonAnswer<'/api/auth/passkey/options', 'post', 200>;
export type PasskeyRegisterInput = JsonBody<'/api/me/passkeys', 'post'>;
export type PasskeyRegistered = JsonAnswer<'/api/me/passkeys', 'post', 201>;
export type PasskeyRenamed = JsonAnswer<'/api/me/passkeys/{id}', 'patch', 200>;
export type PasskeyAssertion = JsonBody<'/api/auth/passkey', 'post'>['response'];

export type Item = Schemas['Item'];
/** What the create form sends; PATCH sends any of these but quantity, plus `version`. */
export type ItemInput = JsonBody<'/api/items', 'post'>;
export type ItemPatch = JsonBody<'/api/items/{id}', 'patch'>;
export type ItemEnvelope = JsonAnswer<'/api/items/{id}', 'get', 200>;
export type ItemSort = NonNullable<QueryOf<'/api/items'>['sort']>;
export type AdjustmentInput = JsonBody<'/api/items/{id}/adjustments', 'post'>;
export type Movement = Schemas['Movement'];
export type Reason = Movement['reason'];
/** What a client may post as an adjustment's reason. */
export type AdjustmentReason = AdjustmentInput['reason'];
/** The reasons a client may post, in the order the adjust form offers them; the compiler checks they are
 * exactly the server's (the others — opening, import, count — only the server writes). */
export const REASONS = [
  'received',
  'sold',
  'returned',
  'damaged',
  'lost',
  'correction',
] as const satisfies readonly AdjustmentInput['reason'][];
const everyReason: Exclude<AdjustmentInput['reason'], (typeof REASONS)[number]> extends never ? true : never = true;
void everyReason;

export type ItemPage = JsonAnswer<'/api/items', 'get', 200>;
export type MovementPage = JsonAnswer<'/api/items/{id}/movements', 'get', 200>;
export type Adjusted = JsonAnswer<'/api/items/{id}/adjustments', 'post', 201>;
type ImportAnswer = JsonAnswer<'/api/items/import', 'post', 200>;
/** POST /api/items/import: the import done (an id to undo it by). */
export type ImportDone = Extract<ImportAnswer, { importId: string }>;
/** POST /api/items/import?dryRun=true: what it would do. */
export type ImportPreview = Exclude<ImportAnswer, { importId: string }>;
export type ImportUndone = JsonAnswer<'/api/imports/{id}/undo', 'post', 200>;
export type Summary = Schemas['Summary'];
/** One UTC day of GET /api/inventory/movements/daily (our extension to docs/api.md). */
export type DailyMovementsAnswer = JsonAnswer<'/api/inventory/movements/daily', 'get', 200>;
export type DailyMovements = DailyMovementsAnswer['days'][number];

export type ActivityEvent = Schemas['ActivityEvent'];
export type ActivityPage = JsonAnswer<'/api/me/activity', 'get', 200>;
export type AdminUser = Schemas['AdminUser'];
export type AdminUserPage = JsonAnswer<'/api/admin/users', 'get', 200>;
export type AdminUserPatch = JsonBody<'/api/admin/users/{id}', 'patch'>;
export type AdminUserAnswer = JsonAnswer<'/api/admin/users/{id}', 'patch', 200>;
export type ResetLink = JsonAnswer<'/api/admin/users/{id}/password-reset', 'post', 201>;
export type ResetIssueInput = JsonBody<'/api/admin/users/{id}/password-reset', 'post'>;
export type ResetLinkInfo = JsonAnswer<'/api/auth/password-reset/{token}', 'get', 200>;
export type Revoked = JsonAnswer<'/api/sessions/revoke-others', 'post', 200>;

export interface FieldError {
  path: string;
  message: string;
}

/**
 * RFC 9457 problem JSON. Deliberately looser than the server's Problem schema (Schemas['Problem']):
 * the client also reads problems from proxies and from servers of another version, so every member
 * but `status` may be missing and extra members (e.g. the current `item`) may ride along.
 */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  code?: string;
  errors?: FieldError[];
  [extra: string]: unknown;
}
