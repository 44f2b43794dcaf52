import { useEffect, useState } from 'preact/hooks';
import { auth } from '../api/endpoints';
import { ApiError, describeError } from '../api/problem';
import { AuthCard } from '../components/AuthCard';
import { Notice } from '../components/Notice';
import { href } from '../lib/router';
import { announce } from '../state/announcer';
import { authState } from '../state/session';

/**
 * `#/verify-email/<token>`: the page an address's confirmation link opens, signed in or not (mail is
 * often read on another device). Confirming is a POST from this page, never the link's GET alone, so a
 * mail scanner that fetches the link confirms nothing it should not.
 */
export function VerifyEmail({ token }: { token: string }) {
  const [state, setState] = useState<{ kind: 'working' } | { kind: 'done'; email: string | null } | { kind: 'failed'; message: string }>({
    kind: 'working',
  });
  useEffect(() => {
    let live = true;
    auth
      .verifyEmail(token)
      .then((res) => {
        if (!live) return;
        setState({ kind: 'done', email: res.user.email });
        announce('E-mail address confirmed.');
      })
      .catch((err: unknown) => {
        if (!live) return;
        setState({
          kind: 'failed',
          message:
            err instanceof ApiError && err.status === 404
              ? 'This link has already been used or has expired. Set the address again on your Account page for a new one.'
              : err instanceof ApiError && err.status === 409
                ? 'This address already belongs to another Stockade account.'
                : describeError(err),
        });
      });
    return () => {
      live = false;
    };
  }, [token]);

  const signedIn = authState.get().status === 'signedIn';
  return (
    <AuthCard title="Confirm your e-mail address">
      {state.kind === 'working' ? <p role="status">Confirming…</p> : null}
      {state.kind === 'done' ? (
        <Notice tone="success">
          {state.email ? (
            <>
              <strong>{state.email}</strong> is now your account's e-mail address.
            </>
          ) : (
            'Your e-mail address is confirmed.'
          )}
        </Notice>
      ) : null}
      {state.kind === 'failed' ? <Notice tone="error">{state.message}</Notice> : null}
      <p class="auth-switch">{signedIn ? <a href={href('/account')}>Go to your account</a> : <a href={href('/signin')}>Sign in</a>}</p>
    </AuthCard>
  );
}
