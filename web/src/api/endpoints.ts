import { api, apiRaw, newIdempotencyKey, withQuery } from './client';
import type {
  ActivityPage,
  LoginAnswer,
  MfaStatus,
  PasskeyAssertion,
  PasskeyCreationOptions,
  PasskeyRegistered,
  PasskeyRegisterInput,
  PasskeyRenamed,
  PasskeyRequestOptions,
  RecoveryCodesAnswer,
  SecondFactorProof,
  SecondStepInput,
  TotpConfirmAnswer,
  TotpConfirmInput,
  TotpEnrolment,
  DeleteAccountInput,
  ItemSort,
  LoginInput,
  PasswordChangeInput,
  ReauthInput,
  RegisterInput,
  ResetIssueInput,
  ResetPasswordInput,
  AdjustmentInput,
  Adjusted,
  AdminUserAnswer,
  AdminUserPage,
  AdminUserPatch,
  DailyMovementsAnswer,
  ImportDone,
  ImportPreview,
  ImportUndone,
  ItemEnvelope,
  ItemInput,
  ItemPage,
  ItemPatch,
  MovementPage,
  PasswordChanged,
  AdjustmentReason,
  Reauthenticated,
  Registered,
  ResetLink,
  ResetLinkInfo,
  Revoked,
  SessionList,
  SignedIn,
  WhoAmI,
  ShopSettings,
  ShopPatch,
  MemberList,
  ShopRole,
  Summary,
  EmailState,
  EmailVerified,
  ResetLinkRequestInput,
  SetEmailInput,
  VerifyEmailInput,
  InvitationInput,
  InvitationList,
  InvitationPreview,
  IssuedInvitation,
  JoinedShop,
  LedgerQuery,
} from './types';

/** Typed wrappers over the public API, one per route in docs/api.md. */

export const auth = {
  /** `extra`: a name for the new account's own shop, or the token of an invitation to join instead. */
  register: (username: string, password: string, extra: { shopName?: string; invitation?: string } = {}) =>
    api<Registered>('/api/auth/register', {
      method: 'POST',
      json: { username, password, ...extra } satisfies RegisterInput,
      unauthenticatedIsExpected: true,
    }),
  login: (username: string, password: string, remember: boolean) =>
    api<LoginAnswer>('/api/auth/login', {
      method: 'POST',
      json: { username, password, remember } satisfies LoginInput,
      unauthenticatedIsExpected: true,
    }),
  /** The second step of a sign-in (the pending cookie from `login` travels by itself). */
  loginSecondStep: (proof: SecondFactorProof) =>
    api<SignedIn>('/api/auth/login/mfa', { method: 'POST', json: proof satisfies SecondStepInput, unauthenticatedIsExpected: true }),
  /** Options for the second step's passkey (the pending cookie travels by itself). */
  loginPasskeyOptions: () => api<PasskeyRequestOptions>('/api/auth/login/mfa/options', { method: 'POST', unauthenticatedIsExpected: true }),
  /** Passwordless sign-in: options, then the user-verified assertion. */
  passkeyOptions: () => api<PasskeyRequestOptions>('/api/auth/passkey/options', { method: 'POST', unauthenticatedIsExpected: true }),
  passkeySignIn: (response: PasskeyAssertion) =>
    api<SignedIn>('/api/auth/passkey', { method: 'POST', json: { response }, unauthenticatedIsExpected: true }),
  /** Step-up with a passkey: options bound to this session, then the assertion alone. */
  reauthOptions: () => api<PasskeyRequestOptions>('/api/auth/reauthenticate/options', { method: 'POST', unauthenticatedIsExpected: true }),
  reauthenticateWithPasskey: (passkey: PasskeyAssertion) =>
    api<Reauthenticated>('/api/auth/reauthenticate', {
      method: 'POST',
      json: { passkey } satisfies ReauthInput,
      unauthenticatedIsExpected: true,
    }),
  logout: () => api<void>('/api/auth/logout', { method: 'POST', unauthenticatedIsExpected: true }),
  session: () => api<WhoAmI>('/api/auth/session', { unauthenticatedIsExpected: true }),
  /** Makes `shopId` the session's active shop (no new token). */
  switchShop: (shopId: string) => api<unknown>('/api/auth/shop', { method: 'POST', json: { shopId } }),
  reauthenticate: (password: string, proof?: SecondFactorProof) =>
    api<Reauthenticated>('/api/auth/reauthenticate', {
      method: 'POST',
      json: { password, ...proof } satisfies ReauthInput,
      unauthenticatedIsExpected: true,
    }),
  /** Whose reset link this is; never uses it up. 404 for a used, expired or unknown link. */
  resetInfo: (token: string) =>
    api<ResetLinkInfo>(`/api/auth/password-reset/${encodeURIComponent(token)}`, {
      unauthenticatedIsExpected: true,
    }),
  resetPassword: (token: string, newPassword: string, proof?: { code: string } | { passkey: PasskeyAssertion }) =>
    api<void>(`/api/auth/password-reset/${encodeURIComponent(token)}`, {
      method: 'POST',
      json: { newPassword, ...proof } satisfies ResetPasswordInput,
      unauthenticatedIsExpected: true,
    }),
  /** Options for a reset's passkey, bound to the link (409: the account has no passkey). */
  resetPasskeyOptions: (token: string) =>
    api<PasskeyRequestOptions>(`/api/auth/password-reset/${encodeURIComponent(token)}/options`, {
      method: 'POST',
      unauthenticatedIsExpected: true,
    }),
  /** "Forgot password?": always 202, whether or not the account exists (a link goes to a verified address only). */
  requestReset: (login: string) =>
    api<Record<string, never>>('/api/auth/password-reset', {
      method: 'POST',
      json: { login } satisfies ResetLinkRequestInput,
      unauthenticatedIsExpected: true,
    }),
  /** Confirms an address with the token from its mail; works signed in or not. */
  verifyEmail: (token: string) =>
    api<EmailVerified>('/api/auth/verify-email', {
      method: 'POST',
      json: { token } satisfies VerifyEmailInput,
      unauthenticatedIsExpected: true,
    }),
  changePassword: (currentPassword: string, newPassword: string) =>
    api<PasswordChanged>('/api/auth/password', {
      method: 'POST',
      json: { currentPassword, newPassword } satisfies PasswordChangeInput,
    }),
};

/** The active shop: its settings and its members (docs/api.md "Shops, members, invitations"). */
export const shop = {
  get: () => api<ShopSettings>('/api/shop'),
  update: (patch: ShopPatch) => api<ShopSettings>('/api/shop', { method: 'PATCH', json: patch }),
  members: () => api<MemberList>('/api/shop/members'),
  setRole: (userId: string, role: ShopRole) =>
    api<unknown>(`/api/shop/members/${encodeURIComponent(userId)}`, { method: 'PATCH', json: { role } }),
  remove: (userId: string) => api<void>(`/api/shop/members/${encodeURIComponent(userId)}`, { method: 'DELETE' }),
};

/** The shop-wide ledger, newest first (GET /api/movements). */
export const ledger = {
  page: (query: LedgerQuery) => api<MovementPage>(withQuery('/api/movements', { ...query })),
};

export const invitations = {
  create: (input: InvitationInput) => api<IssuedInvitation>('/api/shop/invitations', { method: 'POST', json: input }),
  pending: () => api<InvitationList>('/api/shop/invitations'),
  withdraw: (id: string) => api<void>(`/api/shop/invitations/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  /** What a join link offers; 404 for a used, expired, withdrawn or unknown one. Signed in or not. */
  preview: (token: string) => api<InvitationPreview>(`/api/invitations/${encodeURIComponent(token)}`, { unauthenticatedIsExpected: true }),
  accept: (token: string) => api<JoinedShop>(`/api/invitations/${encodeURIComponent(token)}/accept`, { method: 'POST' }),
};

export const sessions = {
  list: () => api<SessionList>('/api/sessions'),
  revoke: (id: string) => api<void>(`/api/sessions/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  revokeOthers: () => api<Revoked>('/api/sessions/revoke-others', { method: 'POST' }),
};

export interface ItemQuery {
  q?: string;
  lowStock?: boolean;
  /** Archived items instead of active ones. */
  archived?: boolean;
  sort?: ItemSort;
  cursor?: string | null;
  limit?: number;
}

const itemPath = (id: string) => `/api/items/${encodeURIComponent(id)}`;

/** A column mapping for an import: the file's column → a field, or null to ignore it. */
export type ColumnMapping = Record<string, string | null>;
const mappingParam = (m: ColumnMapping) => (Object.keys(m).length === 0 ? undefined : JSON.stringify(m));

export const items = {
  list: (query: ItemQuery) =>
    api<ItemPage>(
      withQuery('/api/items', {
        q: query.q,
        lowStock: query.lowStock ? 'true' : undefined,
        archived: query.archived ? 'true' : undefined,
        sort: query.sort,
        cursor: query.cursor,
        limit: query.limit,
      }),
    ),
  get: (id: string) => api<ItemEnvelope>(itemPath(id)),
  /** The item whose barcode or SKU is exactly `code` (archived ones excluded); 404 when none. */
  lookup: (code: string) => api<ItemEnvelope>(withQuery('/api/items/lookup', { code })),
  create: (input: ItemInput, idempotencyKey = newIdempotencyKey()) =>
    api<ItemEnvelope>('/api/items', { method: 'POST', json: input, idempotencyKey }),
  update: (id: string, patch: ItemPatch) => api<ItemEnvelope>(itemPath(id), { method: 'PATCH', json: patch }),
  /** Archives the item (restorable). */
  remove: (id: string) => api<void>(itemPath(id), { method: 'DELETE' }),
  restore: (id: string) => api<ItemEnvelope>(`${itemPath(id)}/restore`, { method: 'POST' }),
  adjust: (id: string, delta: number, reason: AdjustmentReason, note: string | undefined, idempotencyKey: string) =>
    api<Adjusted>(`${itemPath(id)}/adjustments`, {
      method: 'POST',
      json: (note ? { delta, reason, note } : { delta, reason }) satisfies AdjustmentInput,
      idempotencyKey,
    }),
  movements: (id: string, cursor?: string | null, limit = 50) =>
    api<MovementPage>(withQuery(`${itemPath(id)}/movements`, { cursor, limit })),
  /** Active items; with `archived`, every item and an Archived column (docs/api.md "Spreadsheets"). */
  exportCsv: (archived = false) => apiRaw(archived ? '/api/items/export.csv?archived=true' : '/api/items/export.csv', {}),
  /** What importing `csv` would do, nothing written (the server's parse is the one truth). */
  previewImport: (csv: string, mapping: ColumnMapping) =>
    api<ImportPreview>(withQuery('/api/items/import', { dryRun: 'true', mapping: mappingParam(mapping) }), {
      method: 'POST',
      text: csv,
      contentType: 'text/csv',
    }),
  importCsv: (csv: string, mapping: ColumnMapping, idempotencyKey: string) =>
    api<ImportDone>(withQuery('/api/items/import', { mapping: mappingParam(mapping) }), {
      method: 'POST',
      text: csv,
      contentType: 'text/csv',
      idempotencyKey,
    }),
  undoImport: (importId: string) => api<ImportUndone>(`/api/imports/${encodeURIComponent(importId)}/undo`, { method: 'POST' }),
  importTemplate: () => apiRaw('/api/items/import/template', {}),
  summary: () => api<Summary>('/api/inventory/summary'),
  /** Units in and out per UTC day, oldest first, zero days included (extension to docs/api.md). */
  dailyMovements: (days: number) => api<DailyMovementsAnswer>(withQuery('/api/inventory/movements/daily', { days })),
};

export const me = {
  // A POST with the CSRF token (S-89): a GET would let any site start an export through a link.
  export: () => apiRaw('/api/me/export', { method: 'POST' }),
  activity: () => api<ActivityPage>('/api/me/activity'),
  deleteAccount: (password: string) => api<void>('/api/me', { method: 'DELETE', json: { password } satisfies DeleteAccountInput }),
  email: () => api<EmailState>('/api/me/email'),
  /** Needs a fresh authentication (the client asks for the password and retries). */
  setEmail: (email: string) => api<Record<string, never>>('/api/me/email', { method: 'PUT', json: { email } satisfies SetEmailInput }),
};

/** The signed-in user's second factor (docs/api.md "Second factor"). */
export const mfa = {
  status: () => api<MfaStatus>('/api/me/mfa'),
  beginTotp: () => api<TotpEnrolment>('/api/me/mfa/totp', { method: 'POST' }),
  confirmTotp: (code: string) =>
    api<TotpConfirmAnswer>('/api/me/mfa/totp/confirm', { method: 'POST', json: { code } satisfies TotpConfirmInput }),
  disableTotp: () => api<void>('/api/me/mfa/totp', { method: 'DELETE' }),
  newRecoveryCodes: () => api<RecoveryCodesAnswer>('/api/me/mfa/recovery-codes', { method: 'POST' }),
  passkeyOptions: () => api<PasskeyCreationOptions>('/api/me/passkeys/options', { method: 'POST' }),
  registerPasskey: (body: PasskeyRegisterInput) => api<PasskeyRegistered>('/api/me/passkeys', { method: 'POST', json: body }),
  renamePasskey: (id: string, name: string) =>
    api<PasskeyRenamed>(`/api/me/passkeys/${encodeURIComponent(id)}`, { method: 'PATCH', json: { name } }),
  deletePasskey: (id: string) => api<void>(`/api/me/passkeys/${encodeURIComponent(id)}`, { method: 'DELETE' }),
};

export const admin = {
  users: (cursor?: string | null) => api<AdminUserPage>(withQuery('/api/admin/users', { cursor, limit: 50 })),
  revokeSessions: (id: string) => api<Revoked>(`/api/admin/users/${encodeURIComponent(id)}/revoke-sessions`, { method: 'POST' }),
  /** A one-time link for the user to set a new password; `invalidatePassword` also voids the current one. */
  issueReset: (id: string, invalidatePassword: boolean) =>
    api<ResetLink>(`/api/admin/users/${encodeURIComponent(id)}/password-reset`, {
      method: 'POST',
      json: { invalidatePassword } satisfies ResetIssueInput,
    }),
  update: (id: string, patch: AdminUserPatch) =>
    api<AdminUserAnswer>(`/api/admin/users/${encodeURIComponent(id)}`, { method: 'PATCH', json: patch }),
};
