import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { auth } from '../api/endpoints';
import type { User } from '../api/types';
import { href, useRoute } from '../lib/router';
import { useStore } from '../lib/store';
import { announcement } from '../state/announcer';
import { announceSignOut, signedOut } from '../state/session';

interface NavLink {
  to: string;
  label: string;
  /** Paths under this prefix mark the link as current. */
  prefix: string;
}

/** Administrators manage accounts and have no inventory of their own (the API answers them 403). */
function navLinks(user: User): NavLink[] {
  if (user.role === 'admin') {
    return [
      { to: '/admin', label: 'Users', prefix: '/admin' },
      { to: '/account', label: 'Account', prefix: '/account' },
    ];
  }
  return [
    { to: '/', label: 'Dashboard', prefix: '/' },
    { to: '/items', label: 'Inventory', prefix: '/items' },
    { to: '/counts', label: 'Counts', prefix: '/counts' },
    { to: '/import', label: 'Import & export', prefix: '/import' },
    { to: '/ledger', label: 'Ledger', prefix: '/ledger' },
    { to: '/account', label: 'Account', prefix: '/account' },
  ];
}

function isCurrent(link: NavLink, path: string): boolean {
  return link.prefix === '/' ? path === '/' : path === link.prefix || path.startsWith(`${link.prefix}/`);
}

/**
 * "/" focuses the screen's search box (as on GitHub or Gmail), unless the keystroke is typing: in a
 * field, with a modifier, or on a screen without search.
 */
function focusSearchOnSlash(e: KeyboardEvent): void {
  if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
  const target = e.target as HTMLElement | null;
  if (target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))) return;
  const search = document.querySelector<HTMLInputElement>('main input[type=search]');
  if (!search) return;
  e.preventDefault();
  search.focus();
  search.select();
}

export function Layout({ user, children }: { user: User; children: ComponentChildren }) {
  const route = useRoute();
  const message = useStore(announcement);
  const [signingOut, setSigningOut] = useState(false);

  useEffect(() => {
    document.addEventListener('keydown', focusSearchOnSlash);
    return () => document.removeEventListener('keydown', focusSearchOnSlash);
  }, []);

  async function signOut() {
    setSigningOut(true);
    announceSignOut();
    try {
      await auth.logout();
    } catch {
      // Whatever the server said (already gone, offline), this tab forgets the session.
    }
    signedOut('You have signed out.');
  }

  return (
    <div class="shell">
      {/* A button, not <a href="#…">: a fragment link would change the hash route. */}
      <button type="button" class="skip-link" onClick={() => document.getElementById('page-title')?.focus()}>
        Skip to content
      </button>
      <header class="topbar">
        <div class="topbar__inner">
          <a class="brand" href={href(user.role === 'admin' ? '/admin' : '/')}>
            <span class="brand__mark" aria-hidden="true" />
            Stockade
          </a>
          <nav aria-label="Main" class="mainnav">
            <ul>
              {navLinks(user).map((link) => (
                <li key={link.to}>
                  <a href={href(link.to)} aria-current={isCurrent(link, route.path) ? 'page' : undefined}>
                    {link.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <div class="userbox">
            <span class="userbox__name" title="Signed in as">
              {user.username}
              {user.role === 'admin' ? <span class="badge badge--admin">admin</span> : null}
            </span>
            <button type="button" class="btn btn--ghost btn--small" onClick={signOut} disabled={signingOut}>
              Sign out
            </button>
          </div>
        </div>
      </header>
      <div class="announcer" aria-live="polite" aria-atomic="true">
        {message ? (
          <p key={message.id} class={`toast toast--${message.tone}`}>
            {message.text}
          </p>
        ) : null}
      </div>
      <main id="main" class="main">
        {children}
      </main>
    </div>
  );
}
