import { useEffect, useRef, useState } from 'preact/hooks';
import { setCsrfToken } from '../api/client';
import { auth } from '../api/endpoints';
import { ApiError, describeError, fieldErrorMap } from '../api/problem';
import { route } from '../lib/router';
import { useStore } from '../lib/store';
import { reauthPending, settleReauth } from '../state/reauth';
import { sessionEnded } from '../state/session';
import { Field } from './Field';
import { proofOf, SecondFactorField, type SecondFactorInput } from './SecondFactorField';
import { describePasskeyError, passkeysSupported, passkeyAssertion } from '../lib/passkeys';

/**
 * The step-up prompt for sensitive actions (revoke other sessions, delete account, admin writes).
 * A native modal <dialog>: it traps focus, closes on Escape and returns focus to where it was.
 * On success the action that asked for it is retried by the API client.
 */
export function ReauthDialog() {
  const pending = useStore(reauthPending);
  const ref = useRef<HTMLDialogElement>(null);
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // Shown once the server says this account has a second factor (S-81: step-up needs it too).
  const [second, setSecond] = useState<SecondFactorInput | null>(null);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (pending && !dialog.open) {
      setPassword('');
      setError(null);
      setSecond(null);
      dialog.showModal();
    } else if (!pending && dialog.open) {
      dialog.close();
    }
  }, [pending]);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const res = await auth.reauthenticate(password, second?.value.trim() ? proofOf(second) : undefined);
      if (typeof res.csrfToken === 'string') setCsrfToken(res.csrfToken);
      setPassword('');
      setSecond(null);
      settleReauth(true);
    } catch (err) {
      const fields = fieldErrorMap(err);
      if (err instanceof ApiError && err.code === 'validation' && (fields.code || fields.recoveryCode) && !second?.value.trim()) {
        setSecond({ useRecovery: false, value: '' });
        setError('Two-factor sign-in is on: enter a code from your authenticator app too.');
      } else if (err instanceof ApiError && err.code === 'validation' && (fields.code || fields.recoveryCode)) {
        setSecond(second ? { ...second, value: '' } : null);
        setError('That code is not right. Try again.');
      } else if (err instanceof ApiError && err.code === 'validation') {
        setError('That password is not right. Try again.');
      } else if (err instanceof ApiError && err.status === 401) {
        // The session ended while the prompt was open (expired, revoked); make sure before saying so.
        const stillSignedIn = await auth.session().then(
          () => true,
          () => false,
        );
        if (!stillSignedIn) {
          settleReauth(false);
          sessionEnded(route.get().full);
          return;
        }
        setError('That password is not right. Try again.');
      } else {
        setError(describeError(err));
      }
    } finally {
      setBusy(false);
    }
  }

  /** Step-up with a passkey alone (user-verified: both factors). An account without one is told so. */
  async function withPasskey() {
    setBusy(true);
    setError(null);
    try {
      const res = await auth.reauthenticateWithPasskey(await passkeyAssertion(await auth.reauthOptions()));
      if (typeof res.csrfToken === 'string') setCsrfToken(res.csrfToken);
      setPassword('');
      setSecond(null);
      settleReauth(true);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'conflict') setError('This account has no passkey: enter your password.');
      else if (err instanceof ApiError && err.code === 'validation') setError('That passkey was not accepted. Try again.');
      else setError(describePasskeyError(err) ?? describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <dialog
      ref={ref}
      class="dialog"
      aria-labelledby="reauth-title"
      onClose={() => settleReauth(false)}
      onCancel={() => settleReauth(false)}
    >
      <form onSubmit={submit} class="stack">
        <h2 id="reauth-title">Confirm it's you</h2>
        <p>This is a sensitive action. Enter your password to continue.</p>
        {error ? (
          <p class="error-text" role="alert">
            {error}
          </p>
        ) : null}
        {pending ? (
          <Field
            label="Password"
            type="password"
            autoComplete="current-password"
            value={password}
            onValue={setPassword}
            required
            autoFocus
          />
        ) : null}
        {pending && second ? <SecondFactorField input={second} onInput={setSecond} /> : null}
        <div class="actions">
          <button type="submit" class="btn btn--primary" disabled={busy || !password}>
            Confirm
          </button>
          {passkeysSupported() ? (
            <button type="button" class="btn" onClick={withPasskey} disabled={busy}>
              Use a passkey
            </button>
          ) : null}
          <button type="button" class="btn" onClick={() => settleReauth(false)}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
