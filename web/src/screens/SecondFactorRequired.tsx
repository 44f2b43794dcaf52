import { useEffect } from 'preact/hooks';
import { focusPageTitle, PageTitle } from '../components/PageTitle';
import { href, navigate } from '../lib/router';
import { useStore } from '../lib/store';
import { leaveSecondFactorGate } from '../state/second-factor-gate';
import { shopState } from '../state/shop';

/**
 * What a member sees instead of the shop when it answered 403 `mfa_required`: the shop's owner requires a
 * second factor and this account has none. It says so in those words and leads straight into setting
 * one up (the Security screen, opened on the authenticator-app setup or on the passkey name), which
 * brings them back to the screen they were on (state/second-factor-gate.ts). Another shop without the
 * rule stays one switch away, and "Try again" covers a factor set up in another tab.
 */
export function SecondFactorRequired() {
  const view = useStore(shopState);
  const name = view?.shop?.name ?? 'This shop';
  const otherShops = (view?.shops ?? []).filter((s) => s.id !== view?.shop?.id);

  // The route did not change (the refused screen is still the address), so App does not move focus here.
  useEffect(() => focusPageTitle(), []);

  return (
    <section class="page second-factor-required">
      <PageTitle title={`${name} requires two-factor sign-in`} />
      <p>
        The owner of {name} asks everyone working in it to sign in with a second step: a code from an authenticator app on their phone, or a
        passkey. You have not turned on a second factor yet, so the shop's stock is closed to you until you do. It takes a minute, and then
        you come straight back here.
      </p>
      <div class="actions">
        <a class="btn btn--primary" href={href('/account/security?setup=app')}>
          Set up an authenticator app
        </a>
        <a class="btn" href={href('/account/security?setup=passkey')}>
          Add a passkey
        </a>
      </div>
      <p class="hint">
        Turned it on in another tab?{' '}
        <button type="button" class="btn btn--ghost btn--small" onClick={() => navigate(leaveSecondFactorGate())}>
          Try again
        </button>
      </p>
      {otherShops.length > 0 ? (
        <p class="hint">
          Or work in another shop: <a href={href('/account/shop')}>choose it here</a>.
        </p>
      ) : null}
    </section>
  );
}
