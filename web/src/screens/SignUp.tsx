import { useState } from 'preact/hooks';
import { auth } from '../api/endpoints';
import { ApiError, describeError, fieldErrorMap } from '../api/problem';
import { Field } from '../components/Field';
import { AuthCard } from '../components/AuthCard';
import { Notice } from '../components/Notice';
import { href, navigate } from '../lib/router';
import { announce } from '../state/announcer';
import { signedIn } from '../state/session';

const USERNAME = /^[a-z0-9._-]{3,64}$/;

export function SignUp() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  function check(): Record<string, string> {
    const out: Record<string, string> = {};
    const name = username.trim().toLowerCase();
    if (!USERNAME.test(name)) out.username = 'Use 3 to 64 characters: letters, digits, . _ - ; no spaces — try corner-coffee.';
    if (password.length < 8) out.password = 'Use at least 8 characters.';
    else if (password.toLowerCase() === name) out.password = 'Your password cannot be your username.';
    if (confirm !== password) out.confirm = 'The two passwords are not the same.';
    return out;
  }

  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    const local = check();
    setErrors(local);
    if (Object.keys(local).length > 0) {
      setError('Please fix the highlighted fields.');
      return;
    }
    setBusy(true);
    try {
      const res = await auth.register(username.trim().toLowerCase(), password);
      navigate('/', { replace: true });
      signedIn(res);
      announce(`Welcome to Stockade, ${res.user.username}.`);
    } catch (err) {
      const fields = fieldErrorMap(err);
      if (err instanceof ApiError && err.code === 'conflict') fields.username = 'That username is taken.';
      setErrors(fields);
      setError(Object.keys(fields).length > 0 ? 'Please fix the highlighted fields.' : describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <AuthCard title="Create your account">
      {error ? <Notice tone="error">{error}</Notice> : null}
      <form onSubmit={submit} class="stack" aria-label="Create account" noValidate>
        <Field
          label="Username"
          name="username"
          value={username}
          onValue={setUsername}
          autoComplete="username"
          hint="3–64 characters: letters, digits, . _ - ; no spaces (e.g. corner-coffee)."
          error={errors.username}
          required
        />
        <Field
          label="Password"
          name="new-password"
          type="password"
          value={password}
          onValue={setPassword}
          autoComplete="new-password"
          hint="At least 8 characters. A long passphrase is best; common passwords are refused."
          error={errors.password}
          required
        />
        <Field
          label="Confirm password"
          name="confirm-password"
          type="password"
          value={confirm}
          onValue={setConfirm}
          autoComplete="new-password"
          error={errors.confirm}
          required
        />
        <button type="submit" class="btn btn--primary btn--block" disabled={busy}>
          {busy ? 'Creating account…' : 'Create account'}
        </button>
      </form>
      <p class="auth-switch">
        Already have an account? <a href={href('/signin')}>Sign in</a>
      </p>
    </AuthCard>
  );
}
