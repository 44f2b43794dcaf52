import { useState } from 'preact/hooks';
import { auth, invitations } from '../api/endpoints';
import { ApiError, describeError, fieldErrorMap } from '../api/problem';
import { Field } from '../components/Field';
import { AuthCard } from '../components/AuthCard';
import { Notice } from '../components/Notice';
import { href, navigate } from '../lib/router';
import { useAsync } from '../lib/useAsync';
import { announce } from '../state/announcer';
import { signedIn } from '../state/session';

const USERNAME = /^[a-z0-9._-]{3,64}$/;

/**
 * Sign-up. Without `invitation` the account opens its own shop (named here, or "USERNAME's shop"); with
 * it (from a join link) the account joins that shop instead, and there is no shop name to give.
 */
export function SignUp({ invitation }: { invitation?: string } = {}) {
  const offer = useAsync(() => (invitation ? invitations.preview(invitation) : Promise.resolve(null)), [invitation]);
  const [username, setUsername] = useState('');
  const [shopName, setShopName] = useState('');
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
      const name = shopName.trim();
      const res = await auth.register(
        username.trim().toLowerCase(),
        password,
        invitation ? { invitation } : name ? { shopName: name } : {},
      );
      navigate('/', { replace: true });
      signedIn(res);
      announce(`Welcome to Stockade, ${res.user.username}.`);
    } catch (err) {
      const fields = fieldErrorMap(err);
      if (err instanceof ApiError && err.code === 'conflict') fields.username = 'That username is taken.';
      setErrors(fields);
      setError(
        Object.keys(fields).length > 0
          ? 'Please fix the highlighted fields.'
          : err instanceof ApiError && err.status === 404 && invitation
            ? 'This invitation is not valid for a new account: it may have been used, withdrawn or have expired, or it is meant for a confirmed e-mail address (sign up without it, confirm the address, then open the link again).'
            : describeError(err),
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <AuthCard title="Create your account">
      {error ? <Notice tone="error">{error}</Notice> : null}
      {invitation && offer.data ? (
        <Notice tone="info">
          Your account will join <strong>{offer.data.shopName}</strong> as <strong>{offer.data.role}</strong>.
        </Notice>
      ) : null}
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
        {invitation ? null : (
          <Field
            label="Shop name"
            name="shop-name"
            value={shopName}
            onValue={setShopName}
            autoComplete="organization"
            hint="Optional: your shop's name (you can have more shops later). Empty: “your-username's shop”."
            error={errors.shopName}
          />
        )}
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
