import { useState } from 'preact/hooks';
import { setCsrfToken } from '../api/client';
import { auth, me } from '../api/endpoints';
import { describeError, fieldErrorMap } from '../api/problem';
import type { User } from '../api/types';
import { AccountNav } from '../components/AccountNav';
import { Checkbox, Field } from '../components/Field';
import { Notice } from '../components/Notice';
import { PageTitle } from '../components/PageTitle';
import { saveResponse, today } from '../lib/download';
import { useAsync } from '../lib/useAsync';
import { announce } from '../state/announcer';
import { signedOut } from '../state/session';

function ChangePassword({ user }: { user: User }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    setDone(false);
    const local: Record<string, string> = {};
    if (!current) local.currentPassword = 'Enter your current password.';
    if (next.length < 8) local.newPassword = 'Use at least 8 characters.';
    if (confirm !== next) local.confirm = 'The two new passwords are not the same.';
    setErrors(local);
    if (Object.keys(local).length > 0) return;
    setBusy(true);
    try {
      const res = await auth.changePassword(current, next);
      setCsrfToken(res.csrfToken);
      setCurrent('');
      setNext('');
      setConfirm('');
      setErrors({});
      setDone(true);
      announce('Password changed.');
    } catch (err) {
      const fields = fieldErrorMap(err);
      if (fields.currentPassword) fields.currentPassword = 'That is not your current password.';
      setErrors(fields);
      setError(Object.keys(fields).length > 0 ? 'Please fix the highlighted fields.' : describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="card" aria-labelledby="pw-title">
      <h2 id="pw-title">Change password</h2>
      {done ? <Notice tone="success">Password changed. You were signed out everywhere else.</Notice> : null}
      {error ? <Notice tone="error">{error}</Notice> : null}
      <form onSubmit={submit} class="stack" aria-label="Change password" noValidate>
        {/* Lets password managers file the new password under the right account; hidden from everyone. */}
        <input type="text" name="username" autoComplete="username" value={user.username} readOnly hidden />
        <Field
          label="Current password"
          type="password"
          name="current-password"
          autoComplete="current-password"
          value={current}
          onValue={setCurrent}
          error={errors.currentPassword}
          required
        />
        <Field
          label="New password"
          type="password"
          name="new-password"
          autoComplete="new-password"
          value={next}
          onValue={setNext}
          error={errors.newPassword}
          hint="At least 8 characters; common passwords are refused."
          required
        />
        <Field
          label="Confirm new password"
          type="password"
          name="confirm-password"
          autoComplete="new-password"
          value={confirm}
          onValue={setConfirm}
          error={errors.confirm}
          required
        />
        <p class="hint">Changing your password signs you out on every other device.</p>
        <div class="actions">
          <button type="submit" class="btn btn--primary" disabled={busy}>
            {busy ? 'Changing…' : 'Change password'}
          </button>
        </div>
      </form>
    </section>
  );
}

/**
 * The account's e-mail address and its state: confirmed, waiting for its link, or none. Setting one
 * needs a fresh sign-in (the client asks for the password); the link goes to the new address and the
 * old one is told. Without a confirmed address there is no "Forgot password?" by mail and no notices.
 */
function EmailAddress() {
  const state = useAsync(() => me.email(), []);
  const [email, setEmail] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    setSentTo(null);
    if (!email.trim()) {
      setError('Enter an e-mail address.');
      return;
    }
    setBusy(true);
    try {
      await me.setEmail(email.trim());
      setSentTo(email.trim());
      setEmail('');
      announce('Confirmation link sent.');
      state.reload();
    } catch (err) {
      const fields = fieldErrorMap(err);
      setError(fields.email ?? describeError(err));
    } finally {
      setBusy(false);
    }
  }

  const data = state.data;
  return (
    <section class="card" aria-labelledby="email-title">
      <h2 id="email-title">E-mail address</h2>
      {data ? (
        <p data-testid="email-state">
          {data.email ? (
            <>
              <strong>{data.email}</strong> <span class="badge">Confirmed</span>
            </>
          ) : (
            'No confirmed address: a forgotten password needs your administrator, and you get no security notices.'
          )}
          {data.pendingEmail ? (
            <>
              {' '}
              Waiting for confirmation: <strong>{data.pendingEmail}</strong> <span class="badge">Not confirmed</span>
            </>
          ) : null}
        </p>
      ) : state.error ? (
        <Notice tone="error">{describeError(state.error)}</Notice>
      ) : (
        <p role="status">Loading…</p>
      )}
      {sentTo ? (
        <Notice tone="success">
          A link is on its way to {sentTo}. Open it to confirm the address; until then your current address stays.
        </Notice>
      ) : null}
      {error ? <Notice tone="error">{error}</Notice> : null}
      <form onSubmit={submit} class="stack" aria-label="Set e-mail address" noValidate>
        <Field
          label={data?.email ? 'New e-mail address' : 'E-mail address'}
          type="email"
          name="email"
          autoComplete="email"
          value={email}
          onValue={setEmail}
          hint="Used for password resets and security notices, never shown to anyone else."
          required
        />
        <div class="actions">
          <button type="submit" class="btn btn--primary" disabled={busy}>
            {busy ? 'Sending…' : 'Send confirmation link'}
          </button>
        </div>
      </form>
    </section>
  );
}

function ExportData() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function run() {
    setBusy(true);
    setError(null);
    try {
      await saveResponse(await me.export(), `stockade-my-data-${today()}.json`);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <section class="card" aria-labelledby="export-me-title">
      <h2 id="export-me-title">Export my data</h2>
      <p>A JSON file of everything Stockade stores about you: profile, sessions, items, stock movements and sign-in history.</p>
      {error ? <Notice tone="error">{error}</Notice> : null}
      <button type="button" class="btn" onClick={run} disabled={busy}>
        {busy ? 'Preparing…' : 'Download my data'}
      </button>
    </section>
  );
}

function DeleteAccount({ user }: { user: User }) {
  const [password, setPassword] = useState('');
  const [understood, setUnderstood] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      await me.deleteAccount(password);
      signedOut(`The account ${user.username} and all its data were deleted.`);
    } catch (err) {
      const fields = fieldErrorMap(err);
      setError(fields.password ? 'That password is not right.' : describeError(err));
      setPassword('');
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="card card--danger" aria-labelledby="delete-title">
      <h2 id="delete-title">Delete my account</h2>
      <p>
        Deletes your account, your sessions, every item and every stock movement. This cannot be undone. Export your data first if you want
        a copy.
      </p>
      {error ? <Notice tone="error">{error}</Notice> : null}
      <form onSubmit={submit} class="stack" aria-label="Delete account">
        <Field
          label="Password"
          type="password"
          name="delete-password"
          autoComplete="current-password"
          value={password}
          onValue={setPassword}
          required
        />
        <Checkbox label="I understand this deletes everything" checked={understood} onChecked={setUnderstood} />
        <div class="actions">
          <button type="submit" class="btn btn--danger" disabled={busy || !understood || !password}>
            {busy ? 'Deleting…' : 'Delete my account'}
          </button>
        </div>
      </form>
    </section>
  );
}

export function Account({ user }: { user: User }) {
  return (
    <section class="page">
      <PageTitle title="Account" />
      <p class="muted">
        Signed in as <strong>{user.username}</strong>
        {user.role === 'admin' ? ' (administrator)' : ''}.
      </p>
      <AccountNav />
      <div class="stack-lg">
        <EmailAddress />
        <ChangePassword user={user} />
        <ExportData />
        <DeleteAccount user={user} />
      </div>
    </section>
  );
}
