/**
 * What the app says when the server tells it (GET /api/events, docs/api.md "Events") why the session
 * ended, or that the merchant's standing in a shop changed. Words only: no state here.
 */

export type EndReason = 'signed_out' | 'revoked' | 'expired' | 'password_changed' | 'disabled';
export type ShopChangeReason = 'role_changed' | 'removed' | 'mfa_required';

/** "30 minutes", "2 hours", "45 seconds": the idle time as people say it. */
export function spokenDuration(seconds: number): string {
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (seconds % 86400 === 0) return unit(seconds / 86400, 'day');
  if (seconds % 3600 === 0) return unit(seconds / 3600, 'hour');
  if (seconds >= 60 && seconds % 60 === 0) return unit(seconds / 60, 'minute');
  if (seconds > 120) return unit(Math.round(seconds / 60), 'minute');
  return unit(Math.round(seconds), 'second');
}

/** `idleSeconds`: the session's idle lifetime as configured (null: unknown, said without a number). */
export function endedMessage(reason: string, idleSeconds: number | null): string {
  switch (reason) {
    case 'revoked':
      return 'An administrator signed you out.';
    case 'signed_out':
      return 'You signed out on another device.';
    // Not the server's: a tab of this browser tells the others it signed out (state/session.ts).
    case 'signed_out_here':
      return 'You signed out in another tab.';
    case 'expired':
      return idleSeconds
        ? `Signed out after ${spokenDuration(idleSeconds)} without activity.`
        : 'Signed out after a while without activity.';
    case 'password_changed':
      return 'Your password was changed, so every device was signed out.';
    case 'disabled':
      return 'An administrator disabled your account.';
    default:
      return 'Your session ended — sign in again.';
  }
}

/** The shop as the app knows it, when it does (the shops screens fill this in). */
export interface ShopView {
  readonly name: string;
  readonly role?: string;
}

export function shopChangedMessage(reason: string, shop: ShopView | undefined): string {
  const name = shop?.name ?? 'a shop';
  switch (reason) {
    case 'role_changed':
      return shop?.role ? `Your role in ${name} is now ${shop.role}.` : `Your role in ${name} changed.`;
    case 'removed':
      return `You no longer have access to ${name}.`;
    case 'mfa_required':
      return `${shop?.name ?? 'A shop'} now requires two-step sign-in.`;
    default:
      return `Your access to ${name} changed.`;
  }
}
