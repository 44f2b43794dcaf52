import { Store } from '../lib/store';

/**
 * The step-up prompt. The API client calls `requestReauth()` when an action is answered 403
 * `reauth_required`; the ReauthDialog shows while a request is pending and settles it. Concurrent
 * requests share one prompt.
 */
interface Pending {
  promise: Promise<boolean>;
  resolve: (ok: boolean) => void;
}

export const reauthPending = new Store<Pending | null>(null);

export function requestReauth(): Promise<boolean> {
  const existing = reauthPending.get();
  if (existing) return existing.promise;
  let resolve!: (ok: boolean) => void;
  const promise = new Promise<boolean>((r) => {
    resolve = r;
  });
  reauthPending.set({ promise, resolve });
  return promise;
}

export function settleReauth(ok: boolean): void {
  const pending = reauthPending.get();
  if (!pending) return;
  reauthPending.set(null);
  pending.resolve(ok);
}
