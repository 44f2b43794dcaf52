import { useStore } from '../lib/store';
import { shopState } from './shop';

/**
 * The active shop's currency (who-am-I's `shop.currency`, kept by state/shop.ts): what every amount is
 * shown and typed in. Until the session has been read, EUR (the shops' default) — for at most the first
 * round trip after a sign-in.
 */
export const DEFAULT_CURRENCY = 'EUR';

export const useCurrency = (): string => useStore(shopState)?.shop?.currency ?? DEFAULT_CURRENCY;
