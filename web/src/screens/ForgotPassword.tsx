import { useState } from 'preact/hooks';
import { auth } from '../api/endpoints';
import { ApiError, describeError, formatWait } from '../api/problem';
import { AuthCard } from '../components/AuthCard';
import { Field } from '../components/Field';
import { Notice } from '../components/Notice';
import { href } from '../lib/router';
import { useCountdown } from '../lib/useCountdown';
import { announce } from '../state/announcer';

/**
 * `#/forgot`: asks for a reset link by username or e-mail address. The server answers the same whether
 * or not the account exists, so this page says the same too: "if …, a link is on its way".
 */
export function ForgotPassword() {
  const [login, setLogin] = useState('');
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [wait, startWait] = useCountdown();

  async function submit(e: Event) {
    e.preventDefault();
    if (!login.trim()) {
      setError('Enter your username or e-mail address.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await auth.requestReset(login.trim());
      setSent(true);
      announce('If the account has a confirmed e-mail address, a reset link is on its way.');
    } catch (err) {
      if (err instanceof ApiError && err.code === 'rate_limited' && err.retryAfter) startWait(err.retryAfter);
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <AuthCard title="Forgot your password?">
      {sent ? (
        <Notice tone="success">
          If an account matches and has a confirmed e-mail address, a link to choose a new password is on its way. It works once, for a
          limited time. No mail? Ask your administrator for a reset link.
        </Notice>
      ) : null}
      {error ? <Notice tone="error">{error}</Notice> : null}
      <form onSubmit={submit} class="stack" aria-label="Request a password reset link" noValidate>
        <Field
          label="Username or e-mail address"
          name="login"
          value={login}
          onValue={setLogin}
          autoComplete="username"
          hint="The link goes to the account's confirmed e-mail address."
          required
        />
        <button type="submit" class="btn btn--primary btn--block" disabled={busy || wait > 0}>
          {wait > 0 ? `Try again in ${formatWait(wait)}` : busy ? 'Sending…' : 'Send me a reset link'}
        </button>
      </form>
      <p class="auth-switch">
        <a href={href('/signin')}>Back to sign in</a>
      </p>
    </AuthCard>
  );
}
