import { setCsrfToken } from '../api/client';
import type { AuthResponse, User } from '../api/types';
import { Store } from '../lib/store';
import { drafts } from './drafts';

/**
 * Who is signed in, as far as the app knows. The server is the authority: any call answered 401 flips
 * this to signed-out (see api/client.ts), which is how a session revoked in another tab, on another
 * device or by an admin reaches this one on its next action.
 */
export type AuthState =
  | { status: 'loading' }
  | { status: 'signedOut'; notice: string | null; returnTo: string | null }
  | { status: 'signedIn'; user: User };

export const authState = new Store<AuthState>({ status: 'loading' });

export function signedIn(res: AuthResponse): void {
  setCsrfToken(res.csrfToken);
  // Drafts kept across a lost session belong to the user who typed them, nobody else.
  drafts.claimFor(res.user.id);
  authState.set({ status: 'signedIn', user: res.user });
}

/**
 * The session ended without the merchant asking (expired, revoked, signed out elsewhere). Unsaved form
 * input stays in `drafts` so that signing back in as the same user returns to the same screen with it.
 */
export function sessionEnded(currentRoute: string): void {
  const state = authState.get();
  if (state.status === 'signedOut') return;
  setCsrfToken(null);
  if (state.status === 'signedIn') drafts.holdFor(state.user.id);
  authState.set({
    status: 'signedOut',
    notice: 'Your session ended — sign in again.',
    returnTo: state.status === 'signedIn' ? currentRoute : null,
  });
}

/** The merchant signed out or deleted their account: nothing of theirs is kept. */
export function signedOut(notice: string | null): void {
  setCsrfToken(null);
  drafts.clear();
  authState.set({ status: 'signedOut', notice, returnTo: null });
}
