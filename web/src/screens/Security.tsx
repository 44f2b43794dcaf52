import { useEffect, useRef, useState } from 'preact/hooks';
import { mfa as mfaApi } from '../api/endpoints';
import { ApiError, describeError } from '../api/problem';
import type { TotpEnrolment } from '../api/types';
import { AccountNav } from '../components/AccountNav';
import { Field } from '../components/Field';
import { Notice } from '../components/Notice';
import { PageTitle } from '../components/PageTitle';
import { PasskeysCard } from '../components/PasskeysCard';
import { formatDateTime } from '../lib/format';
import { today } from '../lib/download';
import { navigate, useRoute } from '../lib/router';
import { useStore } from '../lib/store';
import { useAsync } from '../lib/useAsync';
import { announce } from '../state/announcer';
import { leaveSecondFactorGate, secondFactorGate } from '../state/second-factor-gate';
import { shopState } from '../state/shop';

/**
 * Two-factor sign-in: set up an authenticator app (QR code, or the key typed in), confirm it with a
 * code, keep the recovery codes (shown once: download or print), make new ones (also with passkeys
 * alone), turn it off. Setting up,
 * new codes and turning off are sensitive: the API client asks for the password (and code) first.
 *
 * `?setup=app` starts the app's setup at once and `?setup=passkey` puts the cursor in the passkey's name:
 * the links of the "shop requires two-factor sign-in" screen, which this screen sends back once a factor
 * exists (state/second-factor-gate.ts).
 *
 * The QR code is an SVG document from the server, put into the page as markup (not an image URL), so
 * the strict CSP needs no `data:` images. It holds only the code's squares: the server makes it from the
 * otpauth URI with the `qrcode` library.
 */
export function Security() {
  const status = useAsync(() => mfaApi.status(), []);
  const [enrolment, setEnrolment] = useState<TotpEnrolment | null>(null);
  const [code, setCode] = useState('');
  const [codeError, setCodeError] = useState<string | undefined>(undefined);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function run(action: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  const begin = () =>
    run(async () => {
      setEnrolment(await mfaApi.beginTotp());
      setCode('');
      setCodeError(undefined);
    });

  async function confirm(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setCodeError(undefined);
    try {
      const res = await mfaApi.confirmTotp(code.replace(/\s/g, ''));
      setEnrolment(null);
      setCodes(res.recoveryCodes ?? null);
      announce('Two-factor sign-in is on.');
      status.reload();
    } catch (err) {
      if (err instanceof ApiError && err.code === 'validation')
        setCodeError('That code is not right. Enter the newest code your app shows.');
      else setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  const regenerate = () =>
    run(async () => {
      setCodes((await mfaApi.newRecoveryCodes()).recoveryCodes);
      announce('New recovery codes made. The old ones no longer work.');
      status.reload();
    });

  const turnOff = () =>
    run(async () => {
      await mfaApi.disableTotp();
      setCodes(null);
      announce('Two-factor sign-in is off. You were signed out everywhere else.');
      status.reload();
    });

  const on = status.data?.totp.enabled === true;
  const hasPasskey = (status.data?.passkeys.length ?? 0) > 0;

  // Arrived from the "requires two-factor sign-in" screen: go straight into the chosen setup, once.
  const setup = useRoute().query.get('setup');
  const started = useRef(false);
  useEffect(() => {
    if (started.current || !status.data) return;
    started.current = true;
    if (setup === 'app' && !status.data.totp.enabled) void begin();
    else if (setup === 'passkey') document.getElementById('new-passkey-name')?.focus();
  }, [status.data, setup]);

  const gate = useStore(secondFactorGate);
  const shopName = useStore(shopState)?.shop?.name ?? 'your shop';
  return (
    <section class="page">
      <PageTitle title="Two-factor sign-in" />
      <AccountNav />
      <p>
        With two-factor sign-in, your password alone is not enough: signing in also takes a code from an authenticator app on your phone, or
        a passkey.
      </p>
      {status.error ? <Notice tone="error">{describeError(status.error)}</Notice> : null}
      {error ? <Notice tone="error">{error}</Notice> : null}
      {status.loading && !status.data ? <p role="status">Loading…</p> : null}

      {codes ? <RecoveryCodes codes={codes} onDone={() => setCodes(null)} /> : null}

      {gate && (on || hasPasskey) ? (
        <section class="card stack" aria-labelledby="gate-open">
          <h2 id="gate-open">{shopName} is open to you again</h2>
          <p>Your account now has a second factor, as the shop requires.</p>
          <div class="actions">
            <button type="button" class="btn btn--primary" onClick={() => navigate(leaveSecondFactorGate())}>
              Back to {shopName}
            </button>
          </div>
        </section>
      ) : null}

      {status.data && !on && !enrolment ? (
        <section class="card stack" aria-labelledby="mfa-off">
          <h2 id="mfa-off">{hasPasskey ? 'No authenticator app' : 'Two-factor sign-in is off'}</h2>
          <p>You need an authenticator app, such as Aegis, Google Authenticator or 1Password.</p>
          <button type="button" class="btn btn--primary" onClick={begin} disabled={busy}>
            {hasPasskey ? 'Set up an authenticator app' : 'Set up two-factor sign-in'}
          </button>
        </section>
      ) : null}

      {status.data && !on && hasPasskey ? (
        // Passkeys alone: the codes the first passkey brought are replaced here, as with an app (the route
        // does not care which factor issued them), so a used or lost set is never a dead end.
        <div class="stack" data-testid="passkey-factor">
          <p>
            Your passkeys are your second factor. Recovery codes left:{' '}
            <strong data-testid="recovery-remaining">{status.data.recoveryCodes.remaining}</strong>.
          </p>
          <div class="actions">
            <button type="button" class="btn" onClick={regenerate} disabled={busy}>
              Make new recovery codes
            </button>
          </div>
        </div>
      ) : null}

      {enrolment ? (
        <section class="card stack" aria-labelledby="mfa-setup">
          <h2 id="mfa-setup">Set up your authenticator app</h2>
          <p>Scan this QR code with the app, or type the key below into it.</p>
          {/* Markup from our own server (the qrcode library's SVG): no image URL under the strict CSP. */}
          <div
            class="qr"
            role="img"
            aria-label="QR code for your authenticator app"
            dangerouslySetInnerHTML={{ __html: enrolment.qrSvg }}
          />
          <p>
            Key for manual entry:{' '}
            <code class="totp-key" data-testid="totp-secret">
              {enrolment.secret.replace(/(.{4})/g, '$1 ').trim()}
            </code>
          </p>
          <form onSubmit={confirm} class="stack" aria-label="Confirm two-factor sign-in" noValidate>
            <Field
              label="Code from the app"
              name="code"
              value={code}
              onValue={setCode}
              autoComplete="one-time-code"
              inputMode="numeric"
              error={codeError}
              required
            />
            <div class="actions">
              <button type="submit" class="btn btn--primary" disabled={busy || !code.trim()}>
                Turn on
              </button>
              <button type="button" class="btn" onClick={() => setEnrolment(null)}>
                Cancel
              </button>
            </div>
          </form>
        </section>
      ) : null}

      {on && status.data ? (
        <section class="card stack" aria-labelledby="mfa-on">
          <h2 id="mfa-on">Two-factor sign-in is on</h2>
          <p>
            Since {status.data.totp.enabledAt ? formatDateTime(status.data.totp.enabledAt) : 'now'}. Recovery codes left:{' '}
            <strong data-testid="recovery-remaining">{status.data.recoveryCodes.remaining}</strong>.
          </p>
          <div class="actions">
            <button type="button" class="btn" onClick={regenerate} disabled={busy}>
              Make new recovery codes
            </button>
            <button type="button" class="btn btn--danger-ghost" onClick={turnOff} disabled={busy}>
              Turn off two-factor sign-in
            </button>
          </div>
        </section>
      ) : null}

      {status.data ? <PasskeysCard passkeys={status.data.passkeys} onChanged={status.reload} onCodes={setCodes} /> : null}
    </section>
  );
}

/** The recovery codes, shown this once: download them as a text file or print them. */
function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const text = `Stockade recovery codes (${today()})\nEach code signs you in once if you lose your phone.\n\n${codes.join('\n')}\n`;
  function download() {
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `stockade-recovery-codes-${today()}.txt`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
  return (
    <section class="card stack recovery-codes" aria-labelledby="codes-title">
      <h2 id="codes-title">Your recovery codes</h2>
      <Notice tone="warning">Save these now: they are shown only this once. Each one signs you in once if you lose your phone.</Notice>
      <ol class="codes" data-testid="recovery-codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ol>
      <div class="actions">
        <button type="button" class="btn" onClick={download}>
          Download
        </button>
        <button type="button" class="btn" onClick={() => window.print()}>
          Print
        </button>
        <button type="button" class="btn btn--primary" onClick={onDone}>
          I've saved them
        </button>
      </div>
    </section>
  );
}
