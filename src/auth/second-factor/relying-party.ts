import { isIP } from 'node:net';

/**
 * Who we are to a WebAuthn authenticator (docs/api.md "Second factor"): the origin and the RP ID, both
 * from PUBLIC_URL, never from the request's Host (a client chooses that). The RP ID is PUBLIC_URL's host
 * name; browsers refuse an IP address as an RP ID, so with PUBLIC_URL naming one, passkeys cannot work:
 * `usable` is false, main.ts says so once at start, and the options routes answer 409 (the server is
 * set up so that the ceremony cannot happen; no retry changes that, so not 503).
 */
export interface RelyingParty {
  /** The origin clientDataJSON must name (PUBLIC_URL without a path). */
  readonly origin: string;
  /** PUBLIC_URL's host name (an authenticator hashes it into every assertion). */
  readonly rpId: string;
  readonly name: string;
  /** False when PUBLIC_URL names an IP address. */
  readonly usable: boolean;
}

export function relyingParty(publicUrl: string): RelyingParty {
  const url = new URL(publicUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return { origin: url.origin, rpId: host, name: 'Stockade', usable: isIP(host) === 0 };
}

export const PASSKEYS_NEED_A_HOST_NAME =
  'Passkeys need PUBLIC_URL to name a host name (e.g. https://stock.example.com), not an IP address: browsers refuse WebAuthn on an IP address.';
