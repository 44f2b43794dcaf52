import { me } from '../api/endpoints';
import { describeError } from '../api/problem';
import { AccountNav } from '../components/AccountNav';
import { Notice } from '../components/Notice';
import { PageTitle } from '../components/PageTitle';
import { describeDevice, formatDateTime } from '../lib/format';
import { useAsync } from '../lib/useAsync';

const LABELS: Record<string, string> = {
  register: 'Account created',
  login: 'Signed in',
  login_success: 'Signed in',
  login_failed: 'Failed sign-in attempt',
  login_failure: 'Failed sign-in attempt',
  logout: 'Signed out',
  session_revoked: 'Session signed out',
  sessions_revoked: 'Other sessions signed out',
  revoke_others: 'Other sessions signed out',
  password_changed: 'Password changed',
  password_change: 'Password changed',
  reauthenticated: 'Password confirmed',
  reauthenticate: 'Password confirmed',
  account_disabled: 'Account disabled by an administrator',
  account_enabled: 'Account enabled by an administrator',
  admin_revoked_sessions: 'Sessions signed out by an administrator',
};

/** "login_failed" → "Login failed" when we have no better wording for an event type. */
const label = (type: string) => LABELS[type] ?? type.replace(/[._]/g, ' ').replace(/^./, (c) => c.toUpperCase());

const isWarning = (type: string) => /fail|disabled|revoked_by_admin|admin_revoked/.test(type);

export function Activity() {
  const state = useAsync(() => me.activity().then((r) => r.events), []);
  const events = state.data ?? [];
  return (
    <section class="page">
      <PageTitle title="Activity" />
      <AccountNav />
      <p>Sign-ins, failed attempts, sign-outs and password changes on your account, newest first.</p>
      {state.error ? <Notice tone="error">{describeError(state.error)}</Notice> : null}
      {state.loading ? <p role="status">Loading…</p> : null}
      {!state.loading && events.length === 0 && !state.error ? <p class="muted">No activity yet.</p> : null}
      {events.length > 0 ? (
        <div class="table-wrap">
          <table class="table table--activity">
            <thead>
              <tr>
                <th scope="col">What</th>
                <th scope="col">When</th>
                <th scope="col">IP</th>
                <th scope="col">Device</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e, i) => (
                <tr key={i} class={isWarning(e.type) ? 'row--warn' : undefined}>
                  <th scope="row" data-label="What">
                    {label(e.type)}
                  </th>
                  <td data-label="When">{formatDateTime(e.at)}</td>
                  <td data-label="IP">{e.ip ?? '—'}</td>
                  <td data-label="Device">{describeDevice(e.userAgent)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
