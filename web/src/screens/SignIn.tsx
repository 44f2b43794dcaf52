import { useState } from 'preact/hooks';
import { auth } from '../api/endpoints';
import { ApiError, describeError, formatWait } from '../api/problem';
import { Checkbox, Field } from '../components/Field';
import { proofOf, SecondFactorField, type SecondFactorInput } from '../components/SecondFactorField';
import { AuthCard } from '../components/AuthCard';
import { Notice } from '../components/Notice';
import { href } from '../lib/router';
import { useCountdown } from '../lib/useCountdown';
import { signedIn } from '../state/session';
import { describePasskeyError, passkeysSupported, passkeyAssertion } from '../lib/passkeys';

/** `username`: of the session that just ended (kept, so signing back in is one field). */
export function SignIn({ notice, username: previous = null }: { notice: string | null; username?: string | null }) {
  const [username, setUsername] = useState(previous ?? '');
  const [password, setPassword] = useState('');
  const [remember, setRemember] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [wait, startWait] = useCountdown();
  // Set once the password was right for an account with a second factor: the second step is showing.
  const [second, setSecond] = useState<SecondFactorInput | null>(null);
  // The ways the second step can be finished (the login answer's `methods`).
  const [methods, setMethods] = useState<string[]>([]);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const res = await auth.login(username.trim(), password, remember);
      if ('mfaRequired' in res) {
        setPassword('');
        setMethods(res.methods);
        // Without an authenticator app, the typed fallback is a recovery code.
        setSecond({ useRecovery: !res.methods.includes('totp'), value: '' });
      } else signedIn(res);
    } catch (err) {
      setPassword('');
      if (err instanceof ApiError && err.status === 401) {
        // The server gives one answer for unknown user, wrong password and disabled account.
        setError('That username and password do not match an active account.');
      } else {
        if (err instanceof ApiError && err.code === 'rate_limited' && err.retryAfter) startWait(err.retryAfter);
        setError(describeError(err));
      }
    } finally {
      setBusy(false);
    }
  }

  async function submitSecond(e: Event) {
    e.preventDefault();
    if (!second) return;
    setBusy(true);
    setError(null);
    try {
      signedIn(await auth.loginSecondStep(proofOf(second)));
    } catch (err) {
      setSecond({ ...second, value: '' });
      if (err instanceof ApiError && err.status === 401) {
        setError(
          second.useRecovery
            ? 'That recovery code is not right, or was used already.'
            : 'That code is not right. Use the newest code from your app; if this keeps happening, sign in again.',
        );
      } else {
        if (err instanceof ApiError && err.code === 'rate_limited' && err.retryAfter) startWait(err.retryAfter);
        setError(describeError(err));
      }
    } finally {
      setBusy(false);
    }
  }

  /** Passwordless (`options` from /api/auth/passkey/options) or the second step's passkey. */
  async function withPasskey(step: 'passwordless' | 'second') {
    setBusy(true);
    setError(null);
    try {
      if (step === 'passwordless') signedIn(await auth.passkeySignIn(await passkeyAssertion(await auth.passkeyOptions())));
      else signedIn(await auth.loginSecondStep({ passkey: await passkeyAssertion(await auth.loginPasskeyOptions()) }));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        setError(
          step === 'passwordless'
            ? 'That passkey did not sign you in. Use your username and password instead.'
            : 'That passkey was not accepted. Try again, or sign in again.',
        );
      } else {
        if (err instanceof ApiError && err.code === 'rate_limited' && err.retryAfter) startWait(err.retryAfter);
        setError(describePasskeyError(err) ?? describeError(err));
      }
    } finally {
      setBusy(false);
    }
  }

  if (second) {
    return (
      <AuthCard title="Two-factor sign-in">
        {error ? <Notice tone="error">{error}</Notice> : null}
        <form onSubmit={submitSecond} class="stack" aria-label="Two-factor sign-in">
          {methods.includes('passkey') ? (
            <button type="button" class="btn btn--primary btn--block" onClick={() => withPasskey('second')} disabled={busy || wait > 0}>
              Use a passkey
            </button>
          ) : null}
          <SecondFactorField input={second} onInput={setSecond} autoFocus={!methods.includes('passkey')} />
          <button type="submit" class="btn btn--primary btn--block" disabled={busy || wait > 0 || !second.value.trim()}>
            {wait > 0 ? `Try again in ${formatWait(wait)}` : busy ? 'Checking…' : 'Verify'}
          </button>
        </form>
        <p class="auth-switch">
          <button
            type="button"
            class="btn btn--ghost btn--small"
            onClick={() => {
              setSecond(null);
              setError(null);
            }}
          >
            Start over
          </button>
        </p>
      </AuthCard>
    );
  }

  return (
    <AuthCard title="Sign in">
      {notice ? <Notice tone={previous ? 'warning' : 'info'}>{notice}</Notice> : null}
      {error ? <Notice tone="error">{error}</Notice> : null}
      <form onSubmit={submit} class="stack" aria-label="Sign in">
        <Field label="Username" name="username" value={username} onValue={setUsername} autoComplete="username" required />
        <Field
          label="Password"
          name="password"
          type="password"
          value={password}
          onValue={setPassword}
          autoComplete="current-password"
          required
        />
        <Checkbox
          label="Remember me on this device"
          name="remember"
          checked={remember}
          onChecked={setRemember}
          hint="Stay signed in for up to 30 days. Leave unticked on a shared computer."
        />
        <button type="submit" class="btn btn--primary btn--block" disabled={busy || wait > 0}>
          {wait > 0 ? `Try again in ${formatWait(wait)}` : busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      {passkeysSupported() ? (
        <button type="button" class="btn btn--block" onClick={() => withPasskey('passwordless')} disabled={busy || wait > 0}>
          Sign in with a passkey
        </button>
      ) : null}
      <p class="auth-switch">
        <a href={href('/forgot')}>Forgot password?</a>
      </p>
      <p class="auth-switch">
        New to Stockade? <a href={href('/signup')}>Create an account</a>
      </p>
    </AuthCard>
  );
}
