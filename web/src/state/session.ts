import { setCsrfToken } from '../api/client';
import type { AuthResponse, User } from '../api/types';
import { route } from '../lib/router';
import { Store } from '../lib/store';
import { announce } from './announcer';
import { drafts } from './drafts';
import { endedMessage, shopChangedMessage } from './endings';
import { SharedEvents, type StreamMessage } from './events';
import { secondFactorGate } from './second-factor-gate';
import { refreshShop, shopState, shopsFrom } from './shop';

/**
 * Who is signed in, as far as the app knows. The server is the authority: the event stream
 * (state/events.ts) says at once, without a click, when and why the session ended (revoked by an
 * admin, signed out on another device, idle, password changed), and any call answered 401 flips this to
 * signed-out too (see api/client.ts).
 */
export type AuthState =
  | { status: 'loading' }
  | { status: 'signedOut'; notice: string | null; returnTo: string | null; username: string | null }
  | { status: 'signedIn'; user: User };

export const authState = new Store<AuthState>({ status: 'loading' });

/**
 * Why the last session ended, kept for this tab across a reload (sessionStorage: gone with the tab, and
 * cleared by a sign-out), so a reload still says why and still offers the username.
 */
const ENDED_KEY = 'stockade.ended';
interface Ended {
  notice: string;
  returnTo: string | null;
  username: string | null;
}

/** The configured idle lifetime, as the server showed it on this session (for "after 30 minutes"). */
let idleSeconds: number | null = null;

const events = new SharedEvents(onStreamMessage);

function onStreamMessage(m: StreamMessage): void {
  if (m.type === 'session.ended') sessionEnded(route.get().full, endedMessage(m.reason, idleSeconds));
  else {
    // The role or membership changed: re-read it and re-render with what the server now allows.
    const name = shopState.get()?.shops.find((s) => s.id === m.shopId)?.name;
    void refreshShop().then(() => {
      const now = shopState.get()?.shops.find((s) => s.id === m.shopId);
      announce(shopChangedMessage(m.reason, name ? { name, ...(now ? { role: now.role } : {}) } : undefined), 'info');
    });
  }
}

export function signedIn(res: AuthResponse): void {
  setCsrfToken(res.csrfToken);
  // Drafts kept across a lost session belong to the user who typed them, nobody else.
  drafts.claimFor(res.user.id);
  if ('session' in res && res.session) {
    const s = res.session;
    idleSeconds = Math.round((Date.parse(s.idleExpiresAt) - Date.parse(s.lastSeenAt)) / 1000);
  }
  forgetEnded();
  // Whoever signs in now starts without the last user's refusal; their own first request says.
  secondFactorGate.set(null);
  if (!shopsFrom(res)) void refreshShop();
  authState.set({ status: 'signedIn', user: res.user });
  events.start();
}

/**
 * The session ended without the merchant asking (expired, revoked, signed out elsewhere). Unsaved form
 * input stays in `drafts` so that signing back in as the same user returns to the same screen with it.
 */
export function sessionEnded(currentRoute: string, notice = 'Your session ended — sign in again.'): void {
  const state = authState.get();
  if (state.status === 'signedOut') return;
  events.stop();
  setCsrfToken(null);
  const username = state.status === 'signedIn' ? state.user.username : null;
  if (state.status === 'signedIn') drafts.holdFor(state.user.id);
  const ended: Ended = { notice, returnTo: state.status === 'signedIn' ? currentRoute : null, username };
  try {
    sessionStorage.setItem(ENDED_KEY, JSON.stringify(ended));
  } catch {
    // Storage refused (private mode, quota): the notice still shows, it just won't survive a reload.
  }
  authState.set({ status: 'signedOut', ...ended });
}

/** On load without a session: what the last one ended with in this tab, if anything. */
export function signedOutOnLoad(notice: string | null): void {
  let ended: Ended | null = null;
  try {
    ended = JSON.parse(sessionStorage.getItem(ENDED_KEY) ?? 'null') as Ended | null;
  } catch {
    ended = null;
  }
  authState.set({
    status: 'signedOut',
    notice: notice ?? ended?.notice ?? null,
    returnTo: ended?.returnTo ?? null,
    username: ended?.username ?? null,
  });
}

/**
 * This tab is about to sign out: the other tabs are told now, and this tab's stream (if it holds the
 * browser's) closed first, so they hear "in another tab", not the server's "on another device".
 */
export function announceSignOut(): void {
  events.tellOthers({ type: 'session.ended', reason: 'signed_out_here' });
  events.stop();
}

/** The merchant signed out or deleted their account: nothing of theirs is kept. */
export function signedOut(notice: string | null): void {
  announceSignOut();
  setCsrfToken(null);
  drafts.clear();
  forgetEnded();
  shopState.set(null);
  authState.set({ status: 'signedOut', notice, returnTo: null, username: null });
}

function forgetEnded(): void {
  try {
    sessionStorage.removeItem(ENDED_KEY);
  } catch {
    // nothing kept, nothing to forget
  }
}
