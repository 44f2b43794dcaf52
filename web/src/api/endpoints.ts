import { api, apiRaw, newIdempotencyKey, withQuery } from './client';
import type {
  ActivityPage,
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
  ImportCounts,
  ItemEnvelope,
  ItemInput,
  ItemPage,
  ItemPatch,
  MovementPage,
  PasswordChanged,
  Reason,
  Reauthenticated,
  Registered,
  ResetLink,
  ResetLinkInfo,
  Revoked,
  SessionList,
  SignedIn,
  Summary,
} from './types';

/** Typed wrappers over the public API, one per route in docs/api.md. */

export const auth = {
  register: (username: string, password: string) =>
    api<Registered>('/api/auth/register', {
      method: 'POST',
      json: { username, password } satisfies RegisterInput,
      unauthenticatedIsExpected: true,
    }),
  login: (username: string, password: string, remember: boolean) =>
    api<SignedIn>('/api/auth/login', {
      method: 'POST',
      json: { username, password, remember } satisfies LoginInput,
      unauthenticatedIsExpected: true,
    }),
  logout: () => api<void>('/api/auth/logout', { method: 'POST', unauthenticatedIsExpected: true }),
  session: () => api<SignedIn>('/api/auth/session', { unauthenticatedIsExpected: true }),
  reauthenticate: (password: string) =>
    api<Reauthenticated>('/api/auth/reauthenticate', {
      method: 'POST',
      json: { password } satisfies ReauthInput,
      unauthenticatedIsExpected: true,
    }),
  /** Whose reset link this is; never uses it up. 404 for a used, expired or unknown link. */
  resetInfo: (token: string) =>
    api<ResetLinkInfo>(`/api/auth/password-reset/${encodeURIComponent(token)}`, {
      unauthenticatedIsExpected: true,
    }),
  resetPassword: (token: string, newPassword: string) =>
    api<void>(`/api/auth/password-reset/${encodeURIComponent(token)}`, {
      method: 'POST',
      json: { newPassword } satisfies ResetPasswordInput,
      unauthenticatedIsExpected: true,
    }),
  changePassword: (currentPassword: string, newPassword: string) =>
    api<PasswordChanged>('/api/auth/password', {
      method: 'POST',
      json: { currentPassword, newPassword } satisfies PasswordChangeInput,
    }),
};

export const sessions = {
  list: () => api<SessionList>('/api/sessions'),
  revoke: (id: string) => api<void>(`/api/sessions/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  revokeOthers: () => api<Revoked>('/api/sessions/revoke-others', { method: 'POST' }),
};

export interface ItemQuery {
  q?: string;
  lowStock?: boolean;
  sort?: ItemSort;
  cursor?: string | null;
  limit?: number;
}

const itemPath = (id: string) => `/api/items/${encodeURIComponent(id)}`;

export const items = {
  list: (query: ItemQuery) =>
    api<ItemPage>(
      withQuery('/api/items', {
        q: query.q,
        lowStock: query.lowStock ? 'true' : undefined,
        sort: query.sort,
        cursor: query.cursor,
        limit: query.limit,
      }),
    ),
  get: (id: string) => api<ItemEnvelope>(itemPath(id)),
  create: (input: ItemInput, idempotencyKey = newIdempotencyKey()) =>
    api<ItemEnvelope>('/api/items', { method: 'POST', json: input, idempotencyKey }),
  update: (id: string, patch: ItemPatch) => api<ItemEnvelope>(itemPath(id), { method: 'PATCH', json: patch }),
  remove: (id: string) => api<void>(itemPath(id), { method: 'DELETE' }),
  adjust: (id: string, delta: number, reason: Reason, note: string | undefined, idempotencyKey: string) =>
    api<Adjusted>(`${itemPath(id)}/adjustments`, {
      method: 'POST',
      json: (note ? { delta, reason, note } : { delta, reason }) satisfies AdjustmentInput,
      idempotencyKey,
    }),
  movements: (id: string, cursor?: string | null, limit = 50) =>
    api<MovementPage>(withQuery(`${itemPath(id)}/movements`, { cursor, limit })),
  exportCsv: () => apiRaw('/api/items/export.csv', {}),
  importCsv: (csv: string, idempotencyKey: string) =>
    api<ImportCounts>('/api/items/import', {
      method: 'POST',
      text: csv,
      contentType: 'text/csv',
      idempotencyKey,
    }),
  summary: () => api<Summary>('/api/inventory/summary'),
  /** Units in and out per UTC day, oldest first, zero days included (extension to docs/api.md). */
  dailyMovements: (days: number) => api<DailyMovementsAnswer>(withQuery('/api/inventory/movements/daily', { days })),
};

export const me = {
  // A POST with the CSRF token (S-89): a GET would let any site start an export through a link.
  export: () => apiRaw('/api/me/export', { method: 'POST' }),
  activity: () => api<ActivityPage>('/api/me/activity'),
  deleteAccount: (password: string) => api<void>('/api/me', { method: 'DELETE', json: { password } satisfies DeleteAccountInput }),
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
