import { useState } from 'preact/hooks';
import { sessions as sessionsApi } from '../api/endpoints';
import { describeError } from '../api/problem';
import type { DeviceSession } from '../api/types';
import { AccountNav } from '../components/AccountNav';
import { Notice } from '../components/Notice';
import { PageTitle } from '../components/PageTitle';
import { describeAddress, describeDevice, formatDateTime, formatRelative } from '../lib/format';
import { useAsync } from '../lib/useAsync';
import { announce } from '../state/announcer';

/** "Where you're signed in": every live session of this user, with a way to end each. */
export function Sessions() {
  // This device first, then the most recently active.
  const state = useAsync(
    () =>
      sessionsApi
        .list()
        .then((r) => [...r.sessions].sort((a, b) => Number(b.current) - Number(a.current) || b.lastSeenAt.localeCompare(a.lastSeenAt))),
    [],
  );
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const list = state.data ?? [];
  const others = list.filter((s) => !s.current);
  // Identical devices ("Chrome on Linux" three times) are told apart by when each first signed in.
  const name = (s: DeviceSession) => {
    const device = describeDevice(s.userAgent);
    const twins = list.filter((x) => describeDevice(x.userAgent) === device);
    return twins.length > 1 ? `${device}, signed in ${formatDateTime(s.createdAt)}` : device;
  };

  async function revoke(s: DeviceSession) {
    setBusy(s.id);
    setError(null);
    try {
      await sessionsApi.revoke(s.id);
      state.setData(list.filter((x) => x.id !== s.id));
      announce(`Signed out ${name(s)}.`);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(null);
    }
  }

  async function revokeOthers() {
    setBusy('others');
    setError(null);
    try {
      const { revoked } = await sessionsApi.revokeOthers();
      state.setData(list.filter((x) => x.current));
      announce(revoked === 1 ? 'Signed out 1 other session.' : `Signed out ${revoked} other sessions.`);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(null);
    }
  }

  return (
    <section class="page">
      <PageTitle title="Where you're signed in" />
      <AccountNav />
      <p>These are the browsers and devices signed in to your account. If you don't recognise one, sign it out and change your password.</p>
      {state.error ? <Notice tone="error">{describeError(state.error)}</Notice> : null}
      {error ? <Notice tone="error">{error}</Notice> : null}
      {state.loading ? <p role="status">Loading…</p> : null}
      <ul class="sessions">
        {list.map((s) => (
          <li key={s.id} class={`session${s.current ? ' session--current' : ''}`}>
            <div class="session__main">
              <p class="session__device">
                {name(s)}
                {s.current ? <span class="badge badge--ok">This device</span> : null}
              </p>
              <p class="session__meta">
                <span title={s.ip ?? undefined}>{describeAddress(s.ip)}</span>
                <span>First seen {formatDateTime(s.createdAt)}</span>
                <span title={formatDateTime(s.lastSeenAt)}>Last active {s.current ? 'now' : formatRelative(s.lastSeenAt)}</span>
              </p>
            </div>
            {s.current ? null : (
              <button
                type="button"
                class="btn btn--small"
                onClick={() => revoke(s)}
                disabled={busy !== null}
                aria-label={`Sign out ${name(s)}, last active ${formatRelative(s.lastSeenAt)}`}
              >
                Sign out
              </button>
            )}
          </li>
        ))}
      </ul>
      <div class="actions">
        <button type="button" class="btn btn--danger-ghost" onClick={revokeOthers} disabled={busy !== null || others.length === 0}>
          Sign out everywhere else
        </button>
      </div>
    </section>
  );
}
