import { useEffect, useState } from 'preact/hooks';
import { items as itemsApi } from '../api/endpoints';
import { describeError } from '../api/problem';
import type { Movement } from '../api/types';
import { Notice } from '../components/Notice';
import { formatDateTime, formatNumber, signed } from '../lib/format';
import { REASON_LABELS } from './AdjustStock';

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
      {all.length > 0 ? (
        <div class="table-wrap">
          <table class="table table--movements">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col" class="num">
                  Change
                </th>
                <th scope="col" class="num">
                  After
                </th>
                <th scope="col">Reason</th>
                <th scope="col">Note</th>
                <th scope="col">By</th>
              </tr>
            </thead>
            <tbody>
              {all.map((m) => (
                <tr key={m.id}>
                  <td data-label="When">{formatDateTime(m.createdAt)}</td>
                  <td data-label="Change" class={`num ${m.delta > 0 ? 'delta--in' : 'delta--out'}`}>
                    {signed(m.delta)}
                  </td>
                  <td data-label="After" class="num">
                    {formatNumber(m.quantityAfter)}
                  </td>
                  <td data-label="Reason">{REASON_LABELS[m.reason] ?? m.reason}</td>
                  <td data-label="Note">{m.note || '—'}</td>
                  <td data-label="By">{m.by.username}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
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
