import { useState } from 'preact/hooks';
import { auth } from '../api/endpoints';
import { ApiError, describeError, fieldErrorMap } from '../api/problem';
import { Field } from '../components/Field';
import { AuthCard } from '../components/AuthCard';
import { Notice } from '../components/Notice';
import { href, navigate } from '../lib/router';
import { useAsync } from '../lib/useAsync';
import { announce } from '../state/announcer';
import { authState } from '../state/session';
import { describePasskeyError, passkeyAssertion, passkeysSupported } from '../lib/passkeys';

/**
 * `#/reset/<token>`: the page a password-reset link opens (mailed after "Forgot password?", or handed
 * out by an administrator). Opening it only asks whose link it is; the link is used up by the form, once. After success
 * every session of the account has ended (this tab's too, if it was signed in), so it goes to sign-in.
 */
export function ResetPassword({ token }: { token: string }) {
  const info = useAsync(() => auth.resetInfo(token), [token]);
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [code, setCode] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  /** `withPasskey`: the second factor is a passkey (options bound to this link), not a typed code. */
  async function submit(e: Event, withPasskey = false) {
    e.preventDefault();
    setError(null);
    const local: Record<string, string> = {};
    if (next.length < 8) local.newPassword = 'Use at least 8 characters.';
    if (confirm !== next) local.confirm = 'The two new passwords are not the same.';
    if (info.data?.mfaRequired && !withPasskey && !/^\d{6}$/.test(code.trim()))
      local.code = 'Enter the 6-digit code from your authenticator app.';
    setErrors(local);
    if (Object.keys(local).length > 0) return;
    setBusy(true);
    try {
      const proof = !info.data?.mfaRequired
        ? undefined
        : withPasskey
          ? { passkey: await passkeyAssertion(await auth.resetPasskeyOptions(token)) }
          : { code: code.trim() };
      await auth.resetPassword(token, next, proof);
      announce('Password set. Sign in with your new password.');
      authState.set({ status: 'signedOut', notice: 'Your new password is set. Sign in with it.', returnTo: null, username: null });
      navigate('/signin', { replace: true });
    } catch (err) {
      const fields = fieldErrorMap(err);
      setErrors(fields);
      setError(
        Object.keys(fields).length > 0
          ? 'Please fix the highlighted fields.'
          : err instanceof ApiError && err.status === 404
            ? 'This link has already been used or has expired. Ask for a new one.'
            : err instanceof ApiError && err.code === 'conflict'
              ? 'This account has no passkey: enter a code from your authenticator app.'
              : err instanceof ApiError && err.status === 401
                ? 'That code is not right. Too many wrong codes end this link.'
                : (describePasskeyError(err) ?? describeError(err)),
      );
    } finally {
      setBusy(false);
    }
  }

  const invalid = info.error instanceof ApiError && info.error.status === 404;
  return (
    <AuthCard title="Set a new password">
      {info.loading ? <p role="status">Checking the link…</p> : null}
      {invalid ? (
        <Notice tone="error">
          This link has already been used or has expired. <a href={href('/forgot')}>Ask for a new one</a>, or ask your administrator.
        </Notice>
      ) : info.error ? (
        <Notice tone="error">{describeError(info.error)}</Notice>
      ) : null}
      {error ? <Notice tone="error">{error}</Notice> : null}
      {info.data ? (
        <form onSubmit={submit} class="stack" aria-label="Set a new password" noValidate>
          <p>
            For the account <strong>{info.data.username}</strong>. Every device signed in to it will be signed out.
          </p>
          {/* Lets password managers file the new password under the right account. */}
          <input type="text" name="username" autoComplete="username" value={info.data.username} readOnly hidden />
          <Field
            label="New password"
            name="newPassword"
            type="password"
            value={next}
            onValue={setNext}
            error={errors.newPassword}
            hint="At least 8 characters; common passwords are refused."
            autoComplete="new-password"
            required
          />
          <Field
            label="New password again"
            name="confirm"
            type="password"
            value={confirm}
            onValue={setConfirm}
            error={errors.confirm}
            autoComplete="new-password"
            required
          />
          {info.data.mfaRequired ? (
            <Field
              label="Code from your authenticator app"
              name="code"
              value={code}
              onValue={setCode}
              error={errors.code}
              autoComplete="one-time-code"
              inputMode="numeric"
              required
            />
          ) : null}
          <button type="submit" class="btn btn--primary btn--block" disabled={busy}>
            {busy ? 'Setting…' : 'Set password'}
          </button>
          {info.data.mfaRequired && passkeysSupported() ? (
            <button type="button" class="btn btn--block" disabled={busy} onClick={(e) => submit(e, true)}>
              Use a passkey instead of a code
            </button>
          ) : null}
        </form>
      ) : null}
      <p class="auth-switch">
        <a href={href('/signin')}>Back to sign in</a>
      </p>
    </AuthCard>
  );
}
