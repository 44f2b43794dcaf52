import { href, useRoute } from '../lib/router';

const LINKS = [
  { to: '/account', label: 'Password & privacy' },
  { to: '/account/security', label: 'Two-factor sign-in' },
  { to: '/account/sessions', label: "Where you're signed in" },
  { to: '/account/activity', label: 'Activity' },
  { to: '/account/invitations', label: 'Invite staff' },
];

export function AccountNav() {
  const { path } = useRoute();
  return (
    <nav aria-label="Account" class="subnav">
      <ul>
        {LINKS.map((l) => (
          <li key={l.to}>
            <a href={href(l.to)} aria-current={path === l.to ? 'page' : undefined}>
              {l.label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
