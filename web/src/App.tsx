import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { installClientHooks } from './api/client';
import { auth } from './api/endpoints';
import { ApiError, describeError } from './api/problem';
import type { User } from './api/types';
import { Layout } from './components/Layout';
import { focusPageTitle } from './components/PageTitle';
import { ReauthDialog } from './components/ReauthDialog';
import { currentRoute, match, navigate, type Route, route as routeStore, useRoute } from './lib/router';
import { useStore } from './lib/store';
import { clearAnnouncement } from './state/announcer';
import { requestReauth } from './state/reauth';
import { gated, gateShownOn, secondFactorGate, secondFactorRequired } from './state/second-factor-gate';
import { authState, sessionEnded, signedIn, signedOutOnLoad } from './state/session';
import { Account } from './screens/Account';
import { Activity } from './screens/Activity';
import { Admin } from './screens/Admin';
import { Dashboard } from './screens/Dashboard';
import { ImportExport } from './screens/ImportExport';
import { Inventory } from './screens/Inventory';
import { ItemDetail } from './screens/ItemDetail';
import { ItemForm } from './screens/ItemForm';
import { NotFound } from './screens/NotFound';
import { ResetPassword } from './screens/ResetPassword';
import { Scan } from './screens/Scan';
import { Counts } from './screens/Counts';
import { CountDetail } from './screens/CountDetail';
import { SecondFactorRequired } from './screens/SecondFactorRequired';
import { Security } from './screens/Security';
import { ShopScreen } from './screens/ShopScreen';
import { ForgotPassword } from './screens/ForgotPassword';
import { VerifyEmail } from './screens/VerifyEmail';
import { Sessions } from './screens/Sessions';
import { SignIn } from './screens/SignIn';
import { SignUp } from './screens/SignUp';
import { Invitations } from './screens/Invitations';
import { Join } from './screens/Join';
import { Ledger } from './screens/Ledger';

installClientHooks({
  onSessionEnded: () => sessionEnded(routeStore.get().full),
  reauthenticate: requestReauth,
  onSecondFactorRequired: () => secondFactorRequired(routeStore.get().full),
});

/** On load, ask the server who we are; that also hands us the CSRF token, which is never stored. */
function restoreSession(): void {
  auth.session().then(signedIn, (err: unknown) => {
    const notice = err instanceof ApiError && err.status === 401 ? null : describeError(err);
    signedOutOnLoad(notice);
  });
}

function screenFor(r: Route, user: User) {
  const p = r.path;
  if (p === '/account') return <Account user={user} />;
  if (p === '/account/sessions') return <Sessions />;
  if (p === '/account/security') return <Security />;
  if (p === '/account/shop') return <ShopScreen />;
  if (p === '/account/activity') return <Activity />;
  if (user.role === 'admin') return p === '/' || p === '/admin' ? <Admin me={user} /> : <NotFound />;
  if (p === '/account/invitations') return <Invitations />;
  const join = match('/join/:token', p);
  if (join?.token) return <Join token={join.token} signedIn />;
  if (p === '/') return <Dashboard />;
  if (p === '/items') return <Inventory />;
  if (p === '/items/new') return <ItemForm key="new" />;
  if (p === '/scan') return <Scan />;
  if (p === '/counts') return <Counts />;
  const count = match('/counts/:id', p);
  if (count?.id) return <CountDetail key={count.id} id={count.id} />;
  let m = match('/items/:id/edit', p);
  if (m?.id) return <ItemForm key={`edit:${m.id}`} id={m.id} />;
  m = match('/items/:id', p);
  if (m?.id) return <ItemDetail key={m.id} id={m.id} />;
  if (p === '/import') return <ImportExport />;
  if (p === '/ledger') return <Ledger />;
  return <NotFound />;
}

/** The screens for signing in or up: once signed in, there is nothing there, so the app leaves them. */
function isEntryScreen(path: string): boolean {
  return path === '/signin' || path === '/signup' || path === '/forgot' || match('/join/:token/signup', path) !== null;
}

export function App() {
  const state = useStore(authState);
  const gate = useStore(secondFactorGate);
  const r = useRoute();
  const firstRender = useRef(true);

  useEffect(restoreSession, []);

  // Behind the second-factor gate, the last screen the member asked for is the one to come back to.
  useEffect(() => {
    if (state.status === 'signedIn' && gated(gate, r.path)) gateShownOn(r.full);
  }, [state.status, gate, r.full]);

  // Signed in on the sign-in or sign-up screen: go to the dashboard. Any other route is kept, which is
  // how the merchant returns to the screen (and the draft) they were on when their session ended.
  // Decided on where the tab is when the effect runs (a frame after the render, longer on a busy
  // machine), not where it was at the render: a screen opened in between is the member's choice and stays.
  useEffect(() => {
    if (state.status === 'signedIn' && isEntryScreen(currentRoute().path)) navigate('/', { replace: true });
  }, [state.status, r.path]);

  // Focus the new screen's heading after each route or sign-in change (not on first load), so screen
  // readers announce it and keyboard focus doesn't stay on a link that no longer exists.
  useEffect(() => {
    if (state.status === 'loading') return;
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    if (state.status === 'signedOut') clearAnnouncement();
    focusPageTitle();
  }, [r.path, state.status]);

  let content: ComponentChildren;
  const reset = match('/reset/:token', r.path);
  const verify = match('/verify-email/:token', r.path);
  const join = match('/join/:token', r.path);
  const joinSignUp = match('/join/:token/signup', r.path);
  if (reset?.token) {
    // A reset link works signed in or not: it is about the account it names, not this tab's session.
    content = <ResetPassword token={reset.token} />;
  } else if (verify?.token) {
    // So does an address's confirmation link (mail is often read on another device).
    content = <VerifyEmail token={verify.token} />;
  } else if (state.status === 'loading') {
    content = (
      <p class="splash" role="status">
        Loading Stockade…
      </p>
    );
  } else if (state.status === 'signedOut' && (joinSignUp?.token || join?.token)) {
    // A join link signed out: sign in there (then accept), or sign up straight into the shop.
    content = joinSignUp?.token ? <SignUp invitation={joinSignUp.token} /> : <Join token={join?.token ?? ''} signedIn={false} />;
  } else if (state.status === 'signedOut') {
    content =
      r.path === '/signup' ? (
        <SignUp />
      ) : r.path === '/forgot' ? (
        <ForgotPassword />
      ) : (
        <SignIn notice={state.notice} username={state.username} />
      );
  } else {
    // A shop that requires a second factor refused this user: one screen saying why, not a refusal per
    // tile (state/second-factor-gate.ts); the account pages, where enrolling happens, stay reachable.
    // On an entry screen, the dashboard is shown at once, not "Page not found" until the effect above
    // has moved the address.
    const screen = gated(gate, r.path) ? <SecondFactorRequired /> : screenFor(isEntryScreen(r.path) ? { ...r, path: '/' } : r, state.user);
    content = <Layout user={state.user}>{screen}</Layout>;
  }

  return (
    <>
      {content}
      <ReauthDialog />
    </>
  );
}
