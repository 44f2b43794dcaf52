import { Store, useStore } from './store';

/**
 * Hash routing: `#/items?q=bolt`. The server serves one page at `/`, so paths after `#` never reach it
 * (and a reload of any screen works without server-side fallbacks).
 */
export interface Route {
  path: string;
  query: URLSearchParams;
  /** The whole hash without '#', used to return to the same screen after signing in again. */
  full: string;
}

function parse(hash: string): Route {
  const raw = hash.replace(/^#/, '') || '/';
  const q = raw.indexOf('?');
  const path = (q === -1 ? raw : raw.slice(0, q)) || '/';
  const query = new URLSearchParams(q === -1 ? '' : raw.slice(q + 1));
  return { path: path.startsWith('/') ? path : `/${path}`, query, full: raw };
}

export const route = new Store<Route>(parse(window.location.hash));
window.addEventListener('hashchange', () => route.set(parse(window.location.hash)));

/**
 * Where the tab is now, read from the address itself. `route` catches up only at the `hashchange` event,
 * a task later; code that runs after a render (effects) and decides by the route must read this one.
 */
export function currentRoute(): Route {
  return parse(window.location.hash);
}

export function useRoute(): Route {
  return useStore(route);
}

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  const hash = `#${to}`;
  if (window.location.hash === hash) return;
  if (opts.replace) {
    window.history.replaceState(null, '', hash);
    route.set(parse(hash));
  } else {
    window.location.hash = to;
  }
}

/** `href` for a link to an app route. */
export const href = (to: string) => `#${to}`;

/** Matches `/items/:id/edit` against a path; returns the params or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/');
  const s = path.split('/');
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const part = p[i] ?? '';
    const seg = s[i] ?? '';
    if (part.startsWith(':')) {
      if (!seg) return null;
      try {
        params[part.slice(1)] = decodeURIComponent(seg);
      } catch {
        return null; // a malformed %-escape is no route of ours
      }
    } else if (part !== seg) {
      return null;
    }
  }
  return params;
}
