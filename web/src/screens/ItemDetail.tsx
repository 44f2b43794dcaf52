import { useEffect, useRef, useState } from 'preact/hooks';
import { items as itemsApi } from '../api/endpoints';
import { describeError } from '../api/problem';
import type { Movement } from '../api/types';
import { Notice } from '../components/Notice';
import { PageTitle } from '../components/PageTitle';
import { formatCents, formatDateTime, formatNumber } from '../lib/format';
import { href, navigate } from '../lib/router';
import { useAsync } from '../lib/useAsync';
import { useStore } from '../lib/store';
import { announce } from '../state/announcer';
import { mayAct, shopState } from '../state/shop';
import { AdjustStock } from './AdjustStock';
import { isLow } from './Inventory';
import { MovementHistory } from './MovementHistory';

export function ItemDetail({ id }: { id: string }) {
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

  async function remove() {
    if (!item) return;
    setDeleteError(null);
    try {
      await itemsApi.remove(item.id);
      announce(`Deleted ${item.name}.`);
      navigate('/items', { replace: true });
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
        </PageTitle>
        {manages ? (
          <div class="page-head__actions">
            <a class="btn" href={href(`/items/${encodeURIComponent(item.id)}/edit`)}>
              Edit
            </a>
            <button type="button" class="btn btn--danger-ghost" onClick={() => setConfirmDelete(true)}>
              Delete
            </button>
          </div>
        ) : null}
      </div>

      {confirmDelete ? (
        <div class="confirm" role="alertdialog" aria-labelledby="del-title" aria-describedby="del-desc">
          <h2 id="del-title">Delete {item.name}?</h2>
          <p id="del-desc">The item and its movement history will be removed. This cannot be undone.</p>
          {deleteError ? <Notice tone="error">{deleteError}</Notice> : null}
          <div class="actions">
            <button type="button" class="btn btn--danger" onClick={remove} ref={deleteButton}>
              Delete item
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
            <dd>{formatCents(item.priceCents)}</dd>
            {item.costCents === null ? null : (
              <>
                <dt>Cost</dt>
                <dd>{formatCents(item.costCents)}</dd>
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
