import { me } from '../api/endpoints';
import { describeError } from '../api/problem';
import { AccountNav } from '../components/AccountNav';
import { Notice } from '../components/Notice';
import { PageTitle } from '../components/PageTitle';
import { describeDevice, formatDateTime } from '../lib/format';
import { useAsync } from '../lib/useAsync';

/** The server's audit event types (auth/audit.ts), in words. Unknown types are shown tidied up. */
const LABELS: Record<string, string> = {
  'account.created': 'Account created',
  'login.success': 'Signed in',
  'login.failure': 'Failed sign-in attempt',
  'login.lockout': 'Sign-in locked after repeated failures',
  logout: 'Signed out',
  'session.revoked': 'Session signed out',
  'sessions.revoked_others': 'Signed out everywhere else',
  'password.changed': 'Password changed',
  'password.change_failure': 'Failed password change (wrong current password)',
  'reauth.success': 'Password confirmed for a sensitive action',
  'reauth.failure': 'Failed password confirmation',
  'account.delete_failure': 'Failed account deletion (wrong password)',
  export: 'Data exported',
  'admin.user_disabled': 'Account disabled',
  'admin.user_enabled': 'Account enabled',
  'admin.role_changed': 'Role changed',
  'csrf.failure': 'Cross-site request refused',
  'authz.denied': 'Refused: not allowed for your role',
};

/** "login.failed" → "Login failed" when we have no better wording for an event type. */
const label = (type: string) => LABELS[type] ?? type.replace(/[._]/g, ' ').replace(/^./, (c) => c.toUpperCase());

const isWarning = (type: string) => /fail|lockout|disabled|csrf/.test(type);

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
                    {e.byAdmin ? <span class="badge">by an administrator</span> : null}
                  </th>
                  <td data-label="When">{formatDateTime(e.at)}</td>
                  <td data-label="IP">{e.ip ?? '—'}</td>
                  <td data-label="Device">{e.byAdmin ? '—' : describeDevice(e.userAgent)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
