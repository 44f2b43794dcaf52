import { useState } from 'preact/hooks';
import { invitations as invitationsApi } from '../api/endpoints';
import { ApiError, describeError, fieldErrorMap } from '../api/problem';
import type { Invitation, IssuedInvitation } from '../api/types';
import { AccountNav } from '../components/AccountNav';
import { Field, Select } from '../components/Field';
import { Notice } from '../components/Notice';
import { PageTitle } from '../components/PageTitle';
import { formatDateTime } from '../lib/format';
import { useStore } from '../lib/store';
import { useAsync } from '../lib/useAsync';
import { announce } from '../state/announcer';
import { mayAct, type ShopView, shopState } from '../state/shop';

type ShopRole = Invitation['role'];

const ROLES: readonly { value: ShopRole; label: string }[] = [
  { value: 'viewer', label: 'Viewer — sees stock' },
  { value: 'clerk', label: 'Clerk — also adjusts stock' },
  { value: 'manager', label: 'Manager — also edits items and invites' },
  { value: 'owner', label: 'Owner — everything' },
];

/**
 * The roles this inviter may grant (docs/api.md "Shops, members, invitations": a manager invites clerks
 * and viewers only, an owner any role); offering more would only lead to a 403.
 */
function grantable(view: ShopView | null): typeof ROLES {
  if (mayAct(view, 'owner')) return ROLES;
  return ROLES.filter((r) => r.value === 'viewer' || r.value === 'clerk');
}

/**
 * Invite staff to the active shop (managers and owners; the server refuses anyone else with 403, said
 * here in words). The link is shown once, right after it is made: only its hash is kept.
 */
export function Invitations() {
  const view = useStore(shopState);
  // Below manager the page is not linked (AccountNav); typed in by hand, it says so without asking.
  if (!mayAct(view, 'manager')) {
    return (
      <section class="page">
        <PageTitle title="Invite staff" />
        <AccountNav />
        <Notice tone="info">Only managers and owners of this shop can invite people.</Notice>
      </section>
    );
  }
  return <InviteForm roles={grantable(view)} />;
}

function InviteForm({ roles }: { roles: typeof ROLES }) {
  const [role, setRole] = useState<ShopRole>('clerk');
  const [email, setEmail] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [issued, setIssued] = useState<IssuedInvitation | null>(null);
  const [version, setVersion] = useState(0);
  const pending = useAsync(() => invitationsApi.pending().then((r) => r.invitations), [version]);
  const refused = pending.error instanceof ApiError && pending.error.status === 403;

  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    setErrors({});
    setBusy(true);
    try {
      const address = email.trim();
      const res = await invitationsApi.create(address ? { role, email: address } : { role });
      setIssued(res);
      setEmail('');
      setVersion((v) => v + 1);
      announce('Invitation link created.');
    } catch (err) {
      const fields = fieldErrorMap(err);
      setErrors(fields);
      setError(
        err instanceof ApiError && err.status === 403
          ? 'Your role may not invite someone as that. Managers invite clerks and viewers.'
          : Object.keys(fields).length > 0
            ? 'Please fix the highlighted fields.'
            : describeError(err),
      );
    } finally {
      setBusy(false);
    }
  }

  async function withdraw(id: string) {
    try {
      await invitationsApi.withdraw(id);
      announce('Invitation withdrawn.');
    } catch (err) {
      setError(describeError(err));
    }
    setVersion((v) => v + 1);
  }

  return (
    <section class="page">
      <PageTitle title="Invite staff" />
      <AccountNav />
      {refused ? (
        <Notice tone="info">Only managers and owners of this shop can invite people.</Notice>
      ) : (
        <>
          <p>
            Make a link for one person. It works once, for 7 days. With an e-mail address the link is also mailed, and only an account that
            has confirmed that address can use it.
          </p>
          {error ? <Notice tone="error">{error}</Notice> : null}
          <form onSubmit={submit} class="stack" aria-label="Invite someone" noValidate>
            <Select label="Role" name="role" value={role} options={roles} onValue={setRole} required />
            <Field
              label="E-mail address (optional)"
              name="email"
              type="email"
              value={email}
              onValue={setEmail}
              autoComplete="off"
              error={errors.email}
            />
            <button type="submit" class="btn btn--primary" disabled={busy}>
              {busy ? 'Creating link…' : 'Create invitation link'}
            </button>
          </form>
          {issued ? (
            <div class="stack" aria-live="polite">
              <p>
                Send this link to the person you invite as <strong>{issued.invitation.role}</strong>. It is shown only now.
              </p>
              <p>
                <code class="invitation-link">{issued.url}</code>
              </p>
              <button
                type="button"
                class="btn"
                onClick={() => void navigator.clipboard?.writeText(issued.url).then(() => announce('Link copied.'))}
              >
                Copy link
              </button>
            </div>
          ) : null}
          <h2>Pending invitations</h2>
          {pending.error && !refused ? <Notice tone="error">{describeError(pending.error)}</Notice> : null}
          {pending.loading ? <p role="status">Loading…</p> : null}
          {!pending.loading && (pending.data ?? []).length === 0 && !pending.error ? <p class="muted">No pending invitations.</p> : null}
          {(pending.data ?? []).length > 0 ? (
            <ul class="invitations">
              {(pending.data ?? []).map((i) => (
                <li key={i.id} class="invitation">
                  <span>
                    <strong>{i.role}</strong>
                    {i.email ? ` for ${i.email}` : ''}, by {i.createdBy.username}, until {formatDateTime(i.expiresAt)}
                  </span>{' '}
                  <button type="button" class="btn" onClick={() => void withdraw(i.id)}>
                    Withdraw {i.role} invitation
                  </button>
                </li>
              ))}
            </ul>
          ) : null}
        </>
      )}
    </section>
  );
}
