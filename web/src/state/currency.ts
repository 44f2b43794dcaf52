import { auth } from '../api/endpoints';
import { Store, useStore } from '../lib/store';

/**
 * The active shop's currency (GET /api/auth/session `shop.currency`): what every amount is shown and
 * typed in. Read once per sign-in; until it is known, EUR (the shops' default) — amounts are shown with
 * it for at most the first round trip.
 */
export const currency = new Store<string>('EUR');
let asked = false;

/** Sets the currency from a session answer that carries the shop, or asks the server once. */
export function learnCurrency(shop: { currency: string } | null | undefined): void {
  if (shop) {
    asked = true;
    currency.set(shop.currency);
    return;
  }
  if (asked) return;
  asked = true;
  auth.session().then(
    (res) => {
      const s = (res as { shop?: { currency: string } | null }).shop;
      if (s) currency.set(s.currency);
    },
    () => {
      asked = false;
    },
  );
}

/** Forgets the currency (sign-out: the next account may have another shop). */
export function forgetCurrency(): void {
  asked = false;
  currency.set('EUR');
}

export const useCurrency = (): string => useStore(currency);
