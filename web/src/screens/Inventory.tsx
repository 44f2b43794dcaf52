import { useEffect, useState } from 'preact/hooks';
import { items as itemsApi } from '../api/endpoints';
import { describeError } from '../api/problem';
import type { Item, ItemSort } from '../api/types';
import { Checkbox, Field, Select } from '../components/Field';
import { Notice } from '../components/Notice';
import { PageTitle } from '../components/PageTitle';
import { formatNumber } from '../lib/format';
import { formatMoney } from '../lib/money';
import { useCurrency } from '../state/currency';
import { href, navigate, useRoute } from '../lib/router';
import { useStore } from '../lib/store';
import { mayAct, shopState } from '../state/shop';
import { useAsync } from '../lib/useAsync';
import { LabelsBar } from '../components/LabelsBar';

const SORTS: { value: ItemSort; label: string }[] = [
  { value: 'name', label: 'Name (A–Z)' },
  { value: 'sku', label: 'SKU' },
  { value: 'quantity', label: 'Quantity (lowest first)' },
  { value: '-updatedAt', label: 'Recently changed' },
];

const PAGE = 50;

/** How long typing must pause before the list is searched. */
const SEARCH_DEBOUNCE_MS = 250;

/** The server's rule (list filter and summary): at or below the threshold, which defaults to 0. */
export const isLow = (item: Item) => item.quantity <= item.lowStockThreshold;

/**
 * The item list. Filters live in the hash (`#/items?q=…&low=1&sort=…`) so Back and reload keep them.
 * Paging is keyset: "Show more" asks for the page after `nextCursor` and appends it.
 */
export function Inventory() {
  const currency = useCurrency();
  const route = useRoute();
  const q = route.query.get('q') ?? '';
  const lowStock = route.query.get('low') === '1';
  const archived = route.query.get('archived') === '1';
  const sortParam = route.query.get('sort') as ItemSort | null;
  const sort: ItemSort = SORTS.some((s) => s.value === sortParam) ? (sortParam as ItemSort) : 'name';

  const [search, setSearch] = useState(q);
  useEffect(() => setSearch(q), [q]);
  // Search as you type: the list follows the box once typing pauses (one request per pause, not per
  // key); Enter or "Search" applies it at once.
  useEffect(() => {
    const next = search.trim();
    if (next === q) return;
    const timer = setTimeout(() => setFilters({ q: next }), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [search]);

  const first = useAsync(() => itemsApi.list({ q, lowStock, archived, sort, limit: PAGE }), [q, lowStock, archived, sort]);
  const [extra, setExtra] = useState<Item[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [moreError, setMoreError] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);

  useEffect(() => {
    setExtra([]);
    setCursor(first.data?.nextCursor ?? null);
  }, [first.data]);

  function setFilters(next: { q?: string; low?: boolean; archived?: boolean; sort?: ItemSort }) {
    const params = new URLSearchParams();
    const nq = next.q ?? q;
    const nlow = next.low ?? lowStock;
    const narchived = next.archived ?? archived;
    const nsort = next.sort ?? sort;
    if (nq) params.set('q', nq);
    if (nlow) params.set('low', '1');
    if (narchived) params.set('archived', '1');
    if (nsort !== 'name') params.set('sort', nsort);
    const qs = params.toString();
    navigate(qs ? `/items?${qs}` : '/items', { replace: true });
  }

  async function loadMore() {
    if (!cursor) return;
    setLoadingMore(true);
    setMoreError(null);
    try {
      const page = await itemsApi.list({ q, lowStock, archived, sort, cursor, limit: PAGE });
      setExtra((prev) => [...prev, ...page.items]);
      setCursor(page.nextCursor);
    } catch (err) {
      setMoreError(describeError(err));
    } finally {
      setLoadingMore(false);
    }
  }

  const rows = [...(first.data?.items ?? []), ...extra];
  // Items picked for labels; kept across searches, so a sheet can gather items from several.
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const toggle = (id: string, on: boolean) =>
    setSelected((prev) => {
      const next = new Set(prev);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  // Creating items is a manager's, label sheets a clerk's (src/http/routes: items.ts, labels.ts); what the
  // role may not use is not shown (state/shop.ts), though the server refuses it anyway.
  const shop = useStore(shopState);
  const manages = mayAct(shop, 'manager');
  const labels = mayAct(shop, 'clerk');
  const filtered = q !== '' || lowStock || archived;

  return (
    <section class="page">
      <div class="page-head">
        <PageTitle title="Inventory" />
        <div class="page-head__actions">
          {manages ? (
            <a class="btn btn--primary" href={href('/items/new')}>
              New item
            </a>
          ) : null}
          <a class="btn hide-on-phone" href={href('/import')}>
            Import / export
          </a>
        </div>
      </div>

      <search>
        <form
          class="filters"
          aria-label="Filter items"
          onSubmit={(e) => {
            e.preventDefault();
            setFilters({ q: search.trim() });
          }}
        >
          <Field
            className="filters__search"
            label="Search by name or SKU"
            type="search"
            name="q"
            value={search}
            onValue={setSearch}
            inputMode="search"
          />
          <button type="submit" class="btn filters__go">
            Search
          </button>
          <Select label="Sort by" value={sort} options={SORTS} onValue={(s) => setFilters({ sort: s })} />
          <Checkbox label="Low stock only" checked={lowStock} onChecked={(low) => setFilters({ low })} />
          <Checkbox label="Archived items" checked={archived} onChecked={(a) => setFilters({ archived: a })} />
        </form>
      </search>

      {first.error ? <Notice tone="error">{describeError(first.error)}</Notice> : null}
      <p class="sr-only" role="status">
        {first.loading ? 'Loading items…' : `${rows.length} item${rows.length === 1 ? '' : 's'} shown`}
      </p>

      {!first.loading && !first.error && rows.length === 0 ? (
        <div class="empty">
          {filtered ? (
            <p>No items match these filters.</p>
          ) : (
            <>
              <p>{manages ? 'You have no items yet.' : 'This shop has no items yet.'}</p>
              {manages ? (
                <p>
                  <a href={href('/items/new')}>Add your first item</a> or <a href={href('/import')}>import a CSV</a>.
                </p>
              ) : null}
            </>
          )}
        </div>
      ) : null}

      {rows.length > 0 ? (
        <div class="table-wrap">
          <table class="table table--items" aria-busy={first.loading ? 'true' : 'false'}>
            <caption class="sr-only">Your items</caption>
            <thead>
              <tr>
                {labels ? (
                  <th scope="col" class="select">
                    <span class="sr-only">Select for labels</span>
                  </th>
                ) : null}
                <th scope="col">Name</th>
                <th scope="col">SKU</th>
                <th scope="col" class="num">
                  In stock
                </th>
                <th scope="col" class="num">
                  Price
                </th>
                <th scope="col">Location</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((item) => (
                <tr key={item.id} class={isLow(item) ? 'row--low' : undefined}>
                  {labels ? (
                    <td class="select">
                      <input
                        type="checkbox"
                        aria-label={`Select ${item.name} for labels`}
                        checked={selected.has(item.id)}
                        onChange={(e) => toggle(item.id, e.currentTarget.checked)}
                      />
                    </td>
                  ) : null}
                  <th scope="row" data-label="Name">
                    <a href={href(`/items/${encodeURIComponent(item.id)}`)}>{item.name}</a>
                    {isLow(item) ? <span class="badge badge--low">Low</span> : null}
                  </th>
                  <td data-label="SKU" class="mono">
                    {item.sku}
                  </td>
                  <td data-label="In stock" class="num">
                    <span>
                      {formatNumber(item.quantity)}
                      {item.unit ? <span class="unit"> {item.unit}</span> : null}
                    </span>
                  </td>
                  <td data-label="Price" class="num">
                    {formatMoney(item.priceCents, currency)}
                  </td>
                  <td data-label="Location">{item.location || '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}

      {labels ? <LabelsBar ids={[...selected]} onClear={() => setSelected(new Set())} /> : null}

      {/* Always in reach of a thumb, wherever the list is scrolled to (styles: .scan-fab). */}
      <a class="btn btn--primary scan-fab" href={href('/scan')}>
        Scan
      </a>

      {moreError ? <Notice tone="error">{moreError}</Notice> : null}
      {cursor && !first.loading ? (
        <div class="more">
          <button type="button" class="btn" onClick={loadMore} disabled={loadingMore}>
            {loadingMore ? 'Loading…' : 'Show more items'}
          </button>
        </div>
      ) : null}
    </section>
  );
}
