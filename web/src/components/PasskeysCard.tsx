import { useState } from 'preact/hooks';
import { mfa as mfaApi } from '../api/endpoints';
import { describeError } from '../api/problem';
import type { Passkey } from '../api/types';
import { formatDateTime } from '../lib/format';
import { createPasskey, describePasskeyError, passkeysSupported } from '../lib/passkeys';
import { announce } from '../state/announcer';
import { Field } from './Field';
import { Notice } from './Notice';

/**
 * The Security screen's passkeys: the list (name, added, last used), add one with a name, rename,
 * delete. Adding and deleting are sensitive: the API client asks for a fresh authentication first.
 * The first passkey of an account without TOTP brings the recovery codes (`onCodes`).
 */
export function PasskeysCard({
  passkeys,
  onChanged,
  onCodes,
}: {
  passkeys: Passkey[];
  onChanged: () => void;
  onCodes: (codes: string[]) => void;
}) {
  const [name, setName] = useState('');
  const [editing, setEditing] = useState<{ id: string; name: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function run(action: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (err) {
      setError(describePasskeyError(err) ?? describeError(err));
    } finally {
      setBusy(false);
    }
  }

  const add = (e: Event) => {
    e.preventDefault();
    return run(async () => {
      const options = await mfaApi.passkeyOptions();
      const response = await createPasskey(options);
      const res = await mfaApi.registerPasskey({ response, ...(name.trim() ? { name: name.trim() } : {}) });
      setName('');
      if (res.recoveryCodes) onCodes(res.recoveryCodes);
      announce(`Passkey “${res.passkey.name}” added.`);
      onChanged();
    });
  };

  const rename = (e: Event) => {
    e.preventDefault();
    const target = editing;
    if (!target) return;
    return run(async () => {
      await mfaApi.renamePasskey(target.id, target.name);
      setEditing(null);
      announce('Passkey renamed.');
      onChanged();
    });
  };

  const remove = (passkey: Passkey) =>
    run(async () => {
      await mfaApi.deletePasskey(passkey.id);
      announce(`Passkey “${passkey.name}” deleted.`);
      onChanged();
    });

  return (
    <section class="card stack" aria-labelledby="passkeys-title">
      <h2 id="passkeys-title">Passkeys</h2>
      <p>
        A passkey signs you in with your fingerprint, face or device PIN, without a password, and works as your second step after a password
        too.
      </p>
      {error ? <Notice tone="error">{error}</Notice> : null}
      {passkeys.length > 0 ? (
        <ul class="stack" data-testid="passkeys">
          {passkeys.map((p) => (
            <li key={p.id} class="passkey">
              {editing?.id === p.id ? (
                <form onSubmit={rename} class="stack" aria-label={`Rename ${p.name}`}>
                  <Field
                    label="New name"
                    name="passkeyName"
                    value={editing.name}
                    onValue={(v) => setEditing({ id: p.id, name: v })}
                    required
                  />
                  <div class="actions">
                    <button type="submit" class="btn btn--primary btn--small" disabled={busy || !editing.name.trim()}>
                      Save
                    </button>
                    <button type="button" class="btn btn--small" onClick={() => setEditing(null)}>
                      Cancel
                    </button>
                  </div>
                </form>
              ) : (
                <>
                  <strong>{p.name}</strong>{' '}
                  <span class="muted">
                    added {formatDateTime(p.createdAt)}; {p.lastUsedAt ? `last used ${formatDateTime(p.lastUsedAt)}` : 'not used yet'}
                  </span>
                  <div class="actions">
                    <button
                      type="button"
                      class="btn btn--small"
                      onClick={() => setEditing({ id: p.id, name: p.name })}
                      aria-label={`Rename ${p.name}`}
                    >
                      Rename
                    </button>
                    <button
                      type="button"
                      class="btn btn--danger-ghost btn--small"
                      onClick={() => remove(p)}
                      disabled={busy}
                      aria-label={`Delete ${p.name}`}
                    >
                      Delete
                    </button>
                  </div>
                </>
              )}
            </li>
          ))}
        </ul>
      ) : (
        <p>No passkeys yet.</p>
      )}
      {passkeysSupported() ? (
        <form onSubmit={add} class="stack" aria-label="Add a passkey">
          <Field
            id="new-passkey-name"
            label="Name for the new passkey"
            name="newPasskeyName"
            value={name}
            onValue={setName}
            hint="For example “Laptop” or “Phone”."
          />
          <div class="actions">
            <button type="submit" class="btn btn--primary" disabled={busy}>
              Add a passkey
            </button>
          </div>
        </form>
      ) : (
        <Notice tone="info">This browser cannot use passkeys.</Notice>
      )}
    </section>
  );
}
