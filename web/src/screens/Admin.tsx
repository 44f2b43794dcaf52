import { useEffect, useState } from 'preact/hooks';
import { admin } from '../api/endpoints';
import { describeError } from '../api/problem';
import type { AdminUser, Role, User } from '../api/types';
import { Notice } from '../components/Notice';
import { PageTitle } from '../components/PageTitle';
import { formatDateTime, formatNumber, formatRelative } from '../lib/format';
import { useAsync } from '../lib/useAsync';
import { announce } from '../state/announcer';

/**
 * Accounts and their sessions: end all of a user's sessions at once, disable or enable an account,
 * change its role. Every write here is a sensitive action: the server may ask for the password again
 * (403 reauth_required), which the API client turns into the password prompt and a retry.
 */
export function Admin({ me }: { me: User }) {
  const first = useAsync(() => admin.users(null), []);
  const [users, setUsers] = useState<AdminUser[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [issued, setIssued] = useState<{ username: string; link: string; expiresAt: string } | null>(null);

  useEffect(() => {
    if (!first.data) return;
    setUsers(first.data.users);
    setCursor(first.data.nextCursor);
  }, [first.data]);

  const replace = (next: Partial<AdminUser> & { id: string }) =>
    setUsers((prev) => prev.map((u) => (u.id === next.id ? { ...u, ...next } : u)));

  async function act(u: AdminUser, what: string, run: () => Promise<void>) {
    setBusy(`${u.id}:${what}`);
    setError(null);
    try {
      await run();
    } catch (err) {
      setError(`${u.username}: ${describeError(err)}`);
    } finally {
      setBusy(null);
    }
  }

  const revoke = (u: AdminUser) =>
    act(u, 'revoke', async () => {
      const { revoked } = await admin.revokeSessions(u.id);
      replace({ id: u.id, activeSessions: 0 });
      announce(`Ended ${revoked} session${revoked === 1 ? '' : 's'} of ${u.username}.`);
    });

  const setDisabled = (u: AdminUser, disabled: boolean) =>
    act(u, 'disable', async () => {
      const res = await admin.update(u.id, { disabled });
      replace({ ...u, ...res.user, disabled, activeSessions: disabled ? 0 : u.activeSessions });
      announce(`${u.username} is now ${disabled ? 'disabled' : 'enabled'}.`);
    });

  // Always with invalidatePassword: for a forgotten password it costs nothing, and for a leaked one it is
  // the point — the account must not open with the old password once it is enabled again.
  const issueReset = (u: AdminUser) => {
    const ok = window.confirm(
      `Create a password-reset link for ${u.username}? Their current password stops working and every session of theirs ends now.`,
    );
    if (!ok) return;
    return act(u, 'reset', async () => {
      const res = await admin.issueReset(u.id, true);
      replace({ id: u.id, activeSessions: 0 });
      setIssued({ username: u.username, ...res });
      announce(`Reset link created for ${u.username}.`);
    });
  };

  const setRole = (u: AdminUser, role: Role) =>
    act(u, 'role', async () => {
      const res = await admin.update(u.id, { role });
      replace({ ...u, ...res.user, role });
      announce(`${u.username} is now ${role === 'admin' ? 'an administrator' : 'a merchant'}.`);
    });

  async function more() {
    if (!cursor) return;
    try {
      const page = await admin.users(cursor);
      setUsers((prev) => [...prev, ...page.users]);
      setCursor(page.nextCursor);
    } catch (err) {
      setError(describeError(err));
    }
  }

  return (
    <section class="page">
      <PageTitle title="Users" />
      <p class="muted">Administrators manage accounts and sessions. They cannot see merchants' inventory.</p>
      {first.error ? <Notice tone="error">{describeError(first.error)}</Notice> : null}
      {error ? <Notice tone="error">{error}</Notice> : null}
      {first.loading ? <p role="status">Loading…</p> : null}
      {issued ? (
        <section class="card stack" aria-labelledby="reset-link-title">
          <h2 id="reset-link-title">Reset link for {issued.username}</h2>
          <p>
            Give this link to {issued.username} yourself (not by a channel an attacker may read). It works once, until{' '}
            {formatDateTime(issued.expiresAt)}; a newer link replaces it.
          </p>
          <input
            type="text"
            readOnly
            value={issued.link}
            aria-label={`Reset link for ${issued.username}`}
            onFocus={(e) => e.currentTarget.select()}
          />
          <div class="cell-actions">
            <button
              type="button"
              class="btn btn--small"
              onClick={() => void navigator.clipboard?.writeText(issued.link).then(() => announce('Link copied.'))}
            >
              Copy link
            </button>
            <button type="button" class="btn btn--small" onClick={() => setIssued(null)}>
              Done
            </button>
          </div>
        </section>
      ) : null}
      {users.length > 0 ? (
        <div class="table-wrap">
          <table class="table table--users">
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col" class="num">
                  Active sessions
                </th>
                <th scope="col">Last sign-in</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {users.map((u) => {
                const self = u.id === me.id;
                return (
                  <tr key={u.id} class={u.disabled ? 'row--muted' : undefined}>
                    <th scope="row" data-label="User">
                      {u.username}
                      {self ? <span class="badge">you</span> : null}
                      <div class="hint">Joined {formatDateTime(u.createdAt)}</div>
                    </th>
                    <td data-label="Role">
                      <label class="sr-only" for={`role-${u.id}`}>
                        Role of {u.username}
                      </label>
                      <select
                        id={`role-${u.id}`}
                        value={u.role}
                        disabled={self || busy !== null}
                        onChange={(e) => setRole(u, e.currentTarget.value as Role)}
                      >
                        <option value="merchant">Merchant</option>
                        <option value="admin">Admin</option>
                      </select>
                    </td>
                    <td data-label="Status">
                      {u.disabled ? <span class="badge badge--low">Disabled</span> : <span class="badge badge--ok">Active</span>}
                    </td>
                    <td data-label="Active sessions" class="num">
                      {formatNumber(u.activeSessions)}
                    </td>
                    <td data-label="Last sign-in">{u.lastLoginAt ? formatRelative(u.lastLoginAt) : '—'}</td>
                    <td data-label="Actions">
                      <div class="cell-actions">
                        <button
                          type="button"
                          class="btn btn--small"
                          disabled={busy !== null || u.activeSessions === 0}
                          onClick={() => revoke(u)}
                          aria-label={`End sessions of ${u.username}`}
                        >
                          End sessions
                        </button>
                        {self ? null : (
                          <button
                            type="button"
                            class="btn btn--small"
                            disabled={busy !== null}
                            onClick={() => issueReset(u)}
                            aria-label={`Reset password of ${u.username}`}
                          >
                            Reset password
                          </button>
                        )}
                        {self ? null : (
                          <button
                            type="button"
                            class={`btn btn--small ${u.disabled ? '' : 'btn--danger-ghost'}`}
                            disabled={busy !== null}
                            onClick={() => setDisabled(u, !u.disabled)}
                            aria-label={`${u.disabled ? 'Enable' : 'Disable'} ${u.username}`}
                          >
                            {u.disabled ? 'Enable' : 'Disable'}
                          </button>
                        )}
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
      {cursor ? (
        <div class="more">
          <button type="button" class="btn" onClick={more}>
            Show more users
          </button>
        </div>
      ) : null}
    </section>
  );
}
