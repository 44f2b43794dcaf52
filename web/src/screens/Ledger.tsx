import { useEffect, useState } from 'preact/hooks';
import { items as itemsApi, ledger } from '../api/endpoints';
import { describeError } from '../api/problem';
import type { Movement, Reason } from '../api/types';
import { Select } from '../components/Field';
import { Notice } from '../components/Notice';
import { PageTitle } from '../components/PageTitle';
import { useAsync } from '../lib/useAsync';
import { REASON_LABELS } from './AdjustStock';
import { MovementTable } from './MovementTable';

const ANY = 'any';

/**
 * The shop's ledger: every movement, newest first, keyset-paged, filtered by item, reason and person.
 * The person list is everyone seen in the ledger so far (the ledger has no member list of its own).
 */
export function Ledger() {
  const [itemId, setItemId] = useState(ANY);
  const [reason, setReason] = useState(ANY);
  const [by, setBy] = useState(ANY);
  const [rows, setRows] = useState<Movement[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [people, setPeople] = useState<Map<string, string>>(new Map());
  const catalogue = useAsync(() => itemsApi.list({ limit: 200, sort: 'name' }).then((p) => p.items), []);
  const names = new Map((catalogue.data ?? []).map((i) => [i.id, i.name]));

  async function load(from: string | null) {
    setLoading(true);
    setError(null);
    try {
      const page = await ledger.page({
        ...(itemId === ANY ? {} : { itemId }),
        ...(reason === ANY ? {} : { reason: reason as Reason }),
        ...(by === ANY ? {} : { by }),
        ...(from ? { cursor: from } : {}),
        limit: '50',
      });
      setRows((prev) => (from ? [...prev, ...page.movements] : page.movements));
      setCursor(page.nextCursor);
      setPeople((prev) => {
        const next = new Map(prev);
        for (const m of page.movements) if (m.by.userId) next.set(m.by.userId, m.by.username);
        return next;
      });
    } catch (err) {
      setError(describeError(err));
    } finally {
      setLoading(false);
    }
  }

  useEffect(() => {
    void load(null);
  }, [itemId, reason, by]);

  return (
    <section class="page">
      <PageTitle title="Ledger" />
      <p>Every stock movement in this shop, newest first, and who made it.</p>
      <div class="filters">
        <Select
          label="Item"
          name="item"
          value={itemId}
          options={[
            { value: ANY, label: 'All items' },
            ...(catalogue.data ?? []).map((i) => ({ value: i.id, label: `${i.name} (${i.sku})` })),
          ]}
          onValue={setItemId}
        />
        <Select
          label="Reason"
          name="reason"
          value={reason}
          options={[{ value: ANY, label: 'All reasons' }, ...Object.entries(REASON_LABELS).map(([value, label]) => ({ value, label }))]}
          onValue={setReason}
        />
        <Select
          label="Person"
          name="person"
          value={by}
          options={[{ value: ANY, label: 'Everyone' }, ...[...people].map(([value, label]) => ({ value, label }))]}
          onValue={setBy}
        />
      </div>
      {error ? <Notice tone="error">{error}</Notice> : null}
      {!loading && rows.length === 0 && !error ? <p class="muted">No stock movements match.</p> : null}
      {rows.length > 0 ? <MovementTable movements={rows} itemName={(itemId) => names.get(itemId) ?? 'Item'} /> : null}
      {loading ? <p role="status">Loading the ledger…</p> : null}
      {cursor && !loading ? (
        <div class="more">
          <button type="button" class="btn" onClick={() => void load(cursor)}>
            Show older movements
          </button>
        </div>
      ) : null}
    </section>
  );
}
