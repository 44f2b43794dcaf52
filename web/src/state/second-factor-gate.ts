import { Store } from '../lib/store';

/**
 * The active shop requires a second factor and this user has none: the server answers every shop
 * request 403 `mfa_required` (src/http/access.ts) until they enrol. Instead of each screen showing its
 * own refusal, the first such answer closes the gate (api/client.ts calls `secondFactorRequired`) and
 * App shows one screen that says why and leads into enrolling (screens/SecondFactorRequired.tsx); the
 * Security screen, once a factor exists, opens it again and returns to `returnTo`, the screen the
 * member was on. Kept in memory only: a reload or another sign-in starts without it, and the next
 * refused request closes it again if it still applies.
 */
export interface Gate {
  /** The route (as `Route.full`) that was refused, to return to once enrolled. */
  readonly returnTo: string;
}

export const secondFactorGate = new Store<Gate | null>(null);

/** A shop request was answered `mfa_required` while the app showed `currentRoute`. */
export function secondFactorRequired(currentRoute: string): void {
  // The first refusal names the screen to return to; the other requests of the same screen add nothing.
  if (secondFactorGate.get()) return;
  // The account pages are where enrolling happens: coming back to one of them is no return at all.
  secondFactorGate.set({ returnTo: currentRoute.startsWith('/account') ? '/' : currentRoute });
}

/**
 * The gate is showing on `currentRoute` (App, on each route change): that is now the screen to return
 * to — the member who was refused on the dashboard and then opened the item list wants the list.
 */
export function gateShownOn(currentRoute: string): void {
  const gate = secondFactorGate.get();
  if (gate && gate.returnTo !== currentRoute) secondFactorGate.set({ returnTo: currentRoute });
}

/** Opens the gate (enrolled, or the user asks to try again): the route to go back to. */
export function leaveSecondFactorGate(): string {
  const gate = secondFactorGate.get();
  secondFactorGate.set(null);
  return gate?.returnTo ?? '/';
}

/** Whether the gate hides this route: the account pages (enrolling, switching shop, signing out) stay open. */
export function gated(gate: Gate | null, path: string): boolean {
  return gate !== null && path !== '/account' && !path.startsWith('/account/');
}
