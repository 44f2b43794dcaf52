import { useEffect, useState } from 'preact/hooks';
import { items as itemsApi } from '../api/endpoints';
import { describeError } from '../api/problem';
import type { Movement } from '../api/types';
import { Notice } from '../components/Notice';
import { MovementTable } from './MovementTable';

/** An item's ledger, newest first, keyset-paged. `added` are movements made on this screen since load. */
export function MovementHistory({ itemId, added }: { itemId: string; added: Movement[] }) {
  const [rows, setRows] = useState<Movement[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);

  async function load(from: string | null) {
    setLoading(true);
    setError(null);
    try {
      const page = await itemsApi.movements(itemId, from, 25);
      setRows((prev) => (from ? [...prev, ...page.movements] : page.movements));
      setCursor(page.nextCursor);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setLoading(false);
    }
  }

  useEffect(() => {
    load(null);
  }, [itemId]);

  const seen = new Set(rows.map((m) => m.id));
  const all = [...added.filter((m) => !seen.has(m.id)).reverse(), ...rows];

  return (
    <section aria-labelledby="history-title" class="history">
      <h2 id="history-title">Movement history</h2>
      {error ? <Notice tone="error">{error}</Notice> : null}
      {!loading && all.length === 0 && !error ? <p class="muted">No stock movements yet.</p> : null}
      {all.length > 0 ? <MovementTable movements={all} /> : null}
      {loading ? <p role="status">Loading history…</p> : null}
      {cursor && !loading ? (
        <div class="more">
          <button type="button" class="btn" onClick={() => load(cursor)}>
            Show older movements
          </button>
        </div>
      ) : null}
    </section>
  );
}
