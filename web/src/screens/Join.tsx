import { useState } from 'preact/hooks';
import { invitations } from '../api/endpoints';
import { ApiError, describeError } from '../api/problem';
import { Notice } from '../components/Notice';
import { PageTitle } from '../components/PageTitle';
import { href, navigate } from '../lib/router';
import { useAsync } from '../lib/useAsync';
import { announce } from '../state/announcer';
import { SignIn } from './SignIn';

/**
 * A join link, `#/join/<token>`: what it offers (shop and role), then — signed out — sign in here or
 * create an account that joins (SignUp with the invitation), or — signed in — accept. Opening the link
 * never uses it up. Every dead link reads the same: the server says no more than "not valid".
 */
export function Join({ token, signedIn }: { token: string; signedIn: boolean }) {
  const offer = useAsync(() => invitations.preview(token), [token]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function accept() {
    setError(null);
    setBusy(true);
    try {
      const { shop } = await invitations.accept(token);
      // The shop is now this session's active one: a full reload so every screen reads it afresh.
      announce(`You joined ${shop.name} as ${shop.role}.`);
      navigate('/', { replace: true });
      window.location.reload();
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 409
          ? 'You already belong to this shop.'
          : err instanceof ApiError && err.status === 404
            ? 'This invitation is not valid for your account: it may have been used, withdrawn or have expired, or it is meant for another e-mail address.'
            : describeError(err),
      );
    } finally {
      setBusy(false);
    }
  }

  if (offer.loading) return <p role="status">Loading the invitation…</p>;
  if (offer.error || !offer.data) {
    const dead = offer.error instanceof ApiError && offer.error.status === 404;
    return (
      <section class={signedIn ? 'page' : 'auth-card'}>
        <PageTitle title="Invitation" />
        <Notice tone="error">
          {dead ? 'This invitation is not valid: it may have been used, withdrawn or have expired.' : describeError(offer.error)}
        </Notice>
      </section>
    );
  }
  const { shopName, role } = offer.data;
  const what = (
    <p>
      You are invited to join <strong>{shopName}</strong> as <strong>{role}</strong>.
    </p>
  );
  if (signedIn) {
    return (
      <section class="page">
        <PageTitle title={`Join ${shopName}`} />
        {what}
        {error ? <Notice tone="error">{error}</Notice> : null}
        <button type="button" class="btn btn--primary" onClick={() => void accept()} disabled={busy}>
          {busy ? 'Joining…' : `Join ${shopName}`}
        </button>
      </section>
    );
  }
  return (
    <>
      <div class="join-offer">
        <Notice tone="info">
          You are invited to join <strong>{shopName}</strong> as <strong>{role}</strong>. New to Stockade?{' '}
          <a href={href(`/join/${token}/signup`)}>Create an account and join</a>. Already have one? Sign in, then join.
        </Notice>
      </div>
      <SignIn notice={null} />
    </>
  );
}
