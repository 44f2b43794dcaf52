import { useState } from 'preact/hooks';
import { items as itemsApi } from '../api/endpoints';
import { ApiError, describeError } from '../api/problem';
import { Notice } from '../components/Notice';
import { PageTitle } from '../components/PageTitle';
import { Scanner } from '../components/Scanner';
import { href, navigate } from '../lib/router';

/**
 * "Scan" (issue 17): a code read by the camera, or typed, is looked up (GET /api/items/lookup, barcode or
 * SKU) and the item opens on its stock screen, where the adjustment comes first on a phone. A code no item
 * has says so and scanning starts again.
 */
export function Scan() {
  const [busy, setBusy] = useState(false);
  const [notFound, setNotFound] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  // A new Scanner (and camera) after a miss: the old one stopped when it handed its code over.
  const [attempt, setAttempt] = useState(0);

  async function found(code: string) {
    setBusy(true);
    setNotFound(null);
    setError(null);
    try {
      const { item } = await itemsApi.lookup(code);
      navigate(`/items/${encodeURIComponent(item.id)}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) setNotFound(code);
      else setError(describeError(err));
      setAttempt((n) => n + 1);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="page page--scan">
      <p class="crumbs">
        <a href={href('/items')}>Inventory</a>
      </p>
      <PageTitle title="Scan" />
      {notFound !== null ? (
        <Notice tone="warning">
          No item has the code “{notFound}”. <a href={href('/items/new')}>New item</a>
        </Notice>
      ) : null}
      {error ? <Notice tone="error">{error}</Notice> : null}
      <Scanner key={attempt} onCode={found} busy={busy} skip={notFound} />
    </section>
  );
}
