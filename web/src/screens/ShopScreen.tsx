import { useState } from 'preact/hooks';
import { shop as shopApi } from '../api/endpoints';
import { describeError } from '../api/problem';
import type { ShopRole, ShopSettings } from '../api/types';
import { AccountNav } from '../components/AccountNav';
import { Checkbox, Field, Select } from '../components/Field';
import { Notice } from '../components/Notice';
import { PageTitle } from '../components/PageTitle';
import { formatDateTime } from '../lib/format';
import { href } from '../lib/router';
import { useStore } from '../lib/store';
import { useAsync } from '../lib/useAsync';
import { announce } from '../state/announcer';
import { authState } from '../state/session';
import { mayAct, refreshShop, shopState } from '../state/shop';

/*
 * The active shop: its settings (owners change them), its members (managers see them, owners change
 * roles and remove), and leaving it (anyone). What a role may not do is not shown; the server refuses it
 * anyway, and a shop.changed event re-reads the role (state/shop.ts).
 */

const ROLES: readonly { value: ShopRole; label: string }[] = [
  { value: 'owner', label: 'Owner' },
  { value: 'manager', label: 'Manager' },
  { value: 'clerk', label: 'Clerk' },
  { value: 'viewer', label: 'Viewer' },
];
const CURRENCIES = Intl.supportedValuesOf('currency').map((c) => ({ value: c, label: c }));
const TIME_ZONES = ['UTC', ...Intl.supportedValuesOf('timeZone').filter((z) => z !== 'UTC')].map((z) => ({ value: z, label: z }));

export function ShopScreen() {
  const view = useStore(shopState);
  const active = view?.shop ?? null;
  if (!active) {
    return (
      <section class="page">
        <PageTitle title="Shop" />
        <AccountNav />
        <p>You are not working in a shop. Choose one above, if you belong to any.</p>
      </section>
    );
  }
  return (
    <section class="page">
      <PageTitle title={`Shop: ${active.name}`} />
      <AccountNav />
      <p>
        Your role here: <strong>{active.role}</strong>.
      </p>
      {mayAct(view, 'owner') ? <Settings key={active.id} /> : null}
      {mayAct(view, 'manager') ? <Members key={active.id} owner={mayAct(view, 'owner')} /> : null}
      <Leave />
    </section>
  );
}

function Settings() {
  const state = useAsync(() => shopApi.get().then((r) => r.shop), []);
  const [draft, setDraft] = useState<ShopSettings['shop'] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const current = draft ?? state.data;
  if (state.error) return <Notice tone="error">{describeError(state.error)}</Notice>;
  if (!current) return <p role="status">Loading…</p>;
  const edit = (patch: Partial<ShopSettings['shop']>) => setDraft({ ...current, ...patch });

  async function save(e: Event) {
    e.preventDefault();
    if (!current || !state.data) return;
    setError(null);
    const before = state.data;
    const patch = {
      ...(current.name !== before.name ? { name: current.name } : {}),
      ...(current.currency !== before.currency ? { currency: current.currency } : {}),
      ...(current.timezone !== before.timezone ? { timezone: current.timezone } : {}),
      ...(current.requireMfa !== before.requireMfa ? { requireMfa: current.requireMfa } : {}),
    };
    if (Object.keys(patch).length === 0) return;
    try {
      const { shop } = await shopApi.update(patch);
      state.setData(shop);
      setDraft(null);
      void refreshShop();
      announce('Shop settings saved.');
    } catch (err) {
      setError(describeError(err));
    }
  }

  return (
    <form class="card" onSubmit={save} aria-labelledby="shop-settings">
      <h2 id="shop-settings">Shop settings</h2>
      {error ? <Notice tone="error">{error}</Notice> : null}
      <Field label="Shop name" value={current.name} onValue={(name) => edit({ name })} required />
      <Select label="Currency" value={current.currency} options={CURRENCIES} onValue={(currency) => edit({ currency })} />
      <Select label="Time zone" value={current.timezone} options={TIME_ZONES} onValue={(timezone) => edit({ timezone })} />
      <Checkbox
        label="Require two-factor sign-in for every member"
        checked={current.requireMfa}
        onChecked={(requireMfa) => edit({ requireMfa })}
        hint="Members without it are kept out of this shop until they turn it on. You need it yourself first."
      />
      <p>
        <a href={href('/account/security')}>Turn on two-factor sign-in for your account</a>
      </p>
      <div class="actions">
        <button type="submit" class="btn btn--primary">
          Save settings
        </button>
      </div>
    </form>
  );
}

function Members({ owner }: { owner: boolean }) {
  const state = useAsync(() => shopApi.members().then((r) => r.members), []);
  const [error, setError] = useState<string | null>(null);
  const me = useStore(authState);
  const myId = me.status === 'signedIn' ? me.user.id : null;
  const list = state.data ?? [];

  async function act(what: () => Promise<unknown>, said: string) {
    setError(null);
    try {
      await what();
      state.setData(await shopApi.members().then((r) => r.members));
      announce(said);
    } catch (err) {
      setError(describeError(err));
    }
  }

  return (
    <div class="card">
      <h2 id="members">Members</h2>
      {state.error ? <Notice tone="error">{describeError(state.error)}</Notice> : null}
      {error ? <Notice tone="error">{error}</Notice> : null}
      <table aria-labelledby="members">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Role</th>
            <th scope="col">Joined</th>
            <th scope="col">Two-factor</th>
            {owner ? <th scope="col">Actions</th> : null}
          </tr>
        </thead>
        <tbody>
          {list.map((m) => (
            <tr key={m.userId}>
              <td>{m.username}</td>
              <td>
                {owner && m.userId !== myId ? (
                  <select
                    aria-label={`Role of ${m.username}`}
                    value={m.role}
                    onChange={(e) => {
                      const role = e.currentTarget.value as ShopRole;
                      void act(() => shopApi.setRole(m.userId, role), `${m.username} is now ${role}.`);
                    }}
                  >
                    {ROLES.map((r) => (
                      <option key={r.value} value={r.value}>
                        {r.label}
                      </option>
                    ))}
                  </select>
                ) : (
                  m.role
                )}
              </td>
              <td>{formatDateTime(m.joinedAt)}</td>
              <td>{m.mfa ? 'On' : 'Off'}</td>
              {owner ? (
                <td>
                  {m.userId !== myId ? (
                    <button
                      type="button"
                      class="btn btn--small btn--danger-ghost"
                      onClick={() => act(() => shopApi.remove(m.userId), `${m.username} was removed.`)}
                    >
                      Remove {m.username}
                    </button>
                  ) : null}
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Leave() {
  const me = useStore(authState);
  const [error, setError] = useState<string | null>(null);
  const [confirm, setConfirm] = useState(false);
  if (me.status !== 'signedIn') return null;
  const myId = me.user.id;
  async function leave() {
    setError(null);
    try {
      await shopApi.remove(myId);
      announce('You left the shop.');
      await refreshShop();
    } catch (err) {
      setError(describeError(err));
    }
  }
  return (
    <div class="card">
      <h2 id="leave">Leave this shop</h2>
      {error ? <Notice tone="error">{error}</Notice> : null}
      {confirm ? (
        <div class="actions">
          <button type="button" class="btn btn--danger" onClick={leave}>
            Leave the shop
          </button>
          <button type="button" class="btn" onClick={() => setConfirm(false)}>
            Stay
          </button>
        </div>
      ) : (
        <button type="button" class="btn btn--danger-ghost" onClick={() => setConfirm(true)}>
          Leave…
        </button>
      )}
    </div>
  );
}
