import { useEffect, useRef, useState } from 'preact/hooks';
import { items as itemsApi } from '../api/endpoints';
import { describeError } from '../api/problem';
import type { Movement } from '../api/types';
import { Notice } from '../components/Notice';
import { PageTitle } from '../components/PageTitle';
import { formatDateTime, formatNumber } from '../lib/format';
import { formatMoney } from '../lib/money';
import { useCurrency } from '../state/currency';
import { href, navigate } from '../lib/router';
import { useAsync } from '../lib/useAsync';
import { useStore } from '../lib/store';
import { announce } from '../state/announcer';
import { mayAct, shopState } from '../state/shop';
import { AdjustStock } from './AdjustStock';
import { isLow } from './Inventory';
import { MovementHistory } from './MovementHistory';

export function ItemDetail({ id }: { id: string }) {
  const currency = useCurrency();
  const state = useAsync(() => itemsApi.get(id).then((r) => r.item), [id]);
  const [added, setAdded] = useState<Movement[]>([]);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const item = state.data;
  // Controls the role may not use are not shown (the server refuses them anyway); re-rendered when a
  // shop.changed event re-reads the role (state/shop.ts).
  const shop = useStore(shopState);
  const adjusts = mayAct(shop, 'clerk');
  const manages = mayAct(shop, 'manager');
  const deleteButton = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirmDelete) deleteButton.current?.focus();
  }, [confirmDelete]);

  // DELETE archives (docs/api.md "Shop floor"): the item leaves lists, lookups and new counts, keeps its
  // history, and comes back with Restore (from the list's "Archived items").
  async function remove() {
    if (!item) return;
    setDeleteError(null);
    try {
      await itemsApi.remove(item.id);
      announce(`Archived ${item.name}.`);
      navigate('/items', { replace: true });
    } catch (err) {
      setDeleteError(describeError(err));
    }
  }

  async function restore() {
    if (!item) return;
    setDeleteError(null);
    try {
      const { item: restored } = await itemsApi.restore(item.id);
      state.setData(restored);
      announce(`Restored ${restored.name}.`);
    } catch (err) {
      setDeleteError(describeError(err));
    }
  }

  if (state.error && !item) {
    return (
      <section class="page">
        <p class="crumbs">
          <a href={href('/items')}>Inventory</a>
        </p>
        <PageTitle title="Item" />
        <Notice tone="error">{describeError(state.error)}</Notice>
      </section>
    );
  }
  if (!item) {
    return (
      <section class="page">
        <PageTitle title="Item" />
        <p role="status">Loading…</p>
      </section>
    );
  }

  return (
    <section class="page">
      <p class="crumbs">
        <a href={href('/items')}>Inventory</a>
      </p>
      <div class="page-head">
        <PageTitle title={item.name}>
          {item.name}
          {isLow(item) ? <span class="badge badge--low">Low stock</span> : null}
          {item.archivedAt ? <span class="badge badge--archived">Archived</span> : null}
        </PageTitle>
        {manages ? (
          <div class="page-head__actions">
            <a class="btn" href={href(`/items/${encodeURIComponent(item.id)}/edit`)}>
              Edit
            </a>
            {item.archivedAt ? (
              <button type="button" class="btn btn--primary" onClick={restore}>
                Restore
              </button>
            ) : (
              <button type="button" class="btn btn--danger-ghost" onClick={() => setConfirmDelete(true)}>
                Archive
              </button>
            )}
          </div>
        ) : null}
      </div>

      {deleteError && !confirmDelete ? <Notice tone="error">{deleteError}</Notice> : null}
      {confirmDelete ? (
        <div class="confirm" role="alertdialog" aria-labelledby="del-title" aria-describedby="del-desc">
          <h2 id="del-title">Archive {item.name}?</h2>
          <p id="del-desc">
            It leaves the list, scanning and new counts, and keeps its history. Restore it any time from the archived items.
          </p>
          {deleteError ? <Notice tone="error">{deleteError}</Notice> : null}
          <div class="actions">
            <button type="button" class="btn btn--danger" onClick={remove} ref={deleteButton}>
              Archive item
            </button>
            <button type="button" class="btn" onClick={() => setConfirmDelete(false)}>
              Keep it
            </button>
          </div>
        </div>
      ) : null}

      <div class="detail-grid">
        <div class="card">
          <p class="stock-figure">
            <span class="stock-figure__num" id="on-hand">
              {formatNumber(item.quantity)}
            </span>
            <span class="stock-figure__label">{item.unit ? `${item.unit} in stock` : 'in stock'}</span>
          </p>
          <dl class="facts">
            <dt>SKU</dt>
            <dd class="mono">{item.sku}</dd>
            <dt>Price</dt>
            <dd>{formatMoney(item.priceCents, currency)}</dd>
            {item.costCents === null ? null : (
              <>
                <dt>Cost</dt>
                <dd>{formatMoney(item.costCents, currency)}</dd>
              </>
            )}
            <dt>Low-stock threshold</dt>
            <dd>{formatNumber(item.lowStockThreshold)}</dd>
            <dt>Location</dt>
            <dd>{item.location || '—'}</dd>
            <dt>Tags</dt>
            <dd>
              {item.tags.length > 0
                ? item.tags.map((t) => (
                    <span key={t} class="tag">
                      {t}
                    </span>
                  ))
                : '—'}
            </dd>
            <dt>Updated</dt>
            <dd>{formatDateTime(item.updatedAt)}</dd>
          </dl>
          {item.description ? <p class="description">{item.description}</p> : null}
        </div>
        {adjusts ? (
          <div class="card card--adjust">
            <AdjustStock
              item={item}
              onAdjusted={(next, movement) => {
                state.setData(next);
                setAdded((prev) => [...prev, movement]);
                announce(`Stock of ${next.name} is now ${formatNumber(next.quantity)}.`);
              }}
            />
          </div>
        ) : null}
      </div>
      <MovementHistory itemId={item.id} added={added} />
    </section>
  );
}
