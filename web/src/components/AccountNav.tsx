import { useState } from 'preact/hooks';
import { describeError } from '../api/problem';
import { href, useRoute } from '../lib/router';
import { useStore } from '../lib/store';
import type { ShopRole } from '../api/types';
import { mayAct, shopState, switchShop } from '../state/shop';

/** `min`: the shop role the page's actions need (its routes' access in src/http/routes); below it, no link. */
const LINKS: readonly { to: string; label: string; min?: ShopRole }[] = [
  { to: '/account', label: 'Password & privacy' },
  { to: '/account/security', label: 'Two-factor sign-in' },
  { to: '/account/sessions', label: "Where you're signed in" },
  { to: '/account/activity', label: 'Activity' },
  { to: '/account/shop', label: 'Shop and members' },
  // POST/GET /api/shop/invitations are shop:manager: a clerk or viewer would only meet a refusal there.
  { to: '/account/invitations', label: 'Invite staff', min: 'manager' },
];

export function AccountNav() {
  const { path } = useRoute();
  const view = useStore(shopState);
  return (
    <nav aria-label="Account" class="subnav">
      <ul>
        {LINKS.filter((l) => !l.min || mayAct(view, l.min)).map((l) => (
          <li key={l.to}>
            <a href={href(l.to)} aria-current={path === l.to ? 'page' : undefined}>
              {l.label}
            </a>
          </li>
        ))}
      </ul>
      <ShopSwitcher />
    </nav>
  );
}

/**
 * The shops the user belongs to (GET /api/auth/session `shops`); choosing one makes it the session's
 * active shop (POST /api/auth/shop) and reloads, so every screen reads that shop's data.
 */
function ShopSwitcher() {
  const view = useStore(shopState);
  const [error, setError] = useState<string | null>(null);
  if (!view || view.shops.length === 0) return null;
  return (
    <div class="shop-switcher">
      <label for="shop-switcher">Shop</label>
      <select
        id="shop-switcher"
        value={view.shop?.id ?? ''}
        onChange={async (e) => {
          setError(null);
          try {
            await switchShop((e.target as HTMLSelectElement).value);
          } catch (err) {
            setError(describeError(err));
          }
        }}
      >
        {view.shop ? null : <option value="">Choose a shop</option>}
        {view.shops.map((s) => (
          <option key={s.id} value={s.id}>
            {s.name} ({s.role})
          </option>
        ))}
      </select>
      {error ? <p role="alert">{error}</p> : null}
    </div>
  );
}
