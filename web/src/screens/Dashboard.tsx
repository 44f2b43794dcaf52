import { items as itemsApi } from '../api/endpoints';
import { describeError } from '../api/problem';
import type { Movement } from '../api/types';
import { ChartTable, MovementChart, totalsByDay } from '../components/MovementChart';
import { Notice } from '../components/Notice';
import { PageTitle } from '../components/PageTitle';
import { formatCents, formatNumber } from '../lib/format';
import { href } from '../lib/router';
import { useAsync } from '../lib/useAsync';

const DAYS = 14;
/** How many recently changed items the chart reads the ledger of (one request each). */
const CHART_ITEMS = 12;

/**
 * The API has no merchant-wide movements feed, only each item's ledger, so the chart reads the ledgers
 * of the most recently changed items: any item with a movement in the window was updated within it, so
 * with a small catalogue this is every movement; with a large one, the busiest recent ones (said so
 * in the caption).
 */
async function recentMovements(): Promise<{ movements: Movement[]; partial: boolean }> {
  const recent = await itemsApi.list({ sort: '-updatedAt', limit: CHART_ITEMS });
  const since = Date.now() - DAYS * 86_400_000;
  const active = recent.items.filter((i) => new Date(i.updatedAt).getTime() >= since);
  const pages = await Promise.all(active.map((i) => itemsApi.movements(i.id, null, 200)));
  return {
    movements: pages.flatMap((p) => p.movements).filter((m) => new Date(m.createdAt).getTime() >= since),
    partial: recent.nextCursor !== null && active.length === recent.items.length,
  };
}

export function Dashboard() {
  const summary = useAsync(() => itemsApi.summary(), []);
  const low = useAsync(() => itemsApi.list({ lowStock: true, sort: 'quantity', limit: 10 }), []);
  const chart = useAsync(recentMovements, []);
  const s = summary.data;
  const days = chart.data ? totalsByDay(chart.data.movements, DAYS) : [];
  const hasMovement = days.some((d) => d.in > 0 || d.out > 0);

  return (
    <section class="page">
      <PageTitle title="Dashboard" />
      {summary.error ? <Notice tone="error">{describeError(summary.error)}</Notice> : null}
      <ul class="stats" aria-label="Inventory summary" aria-busy={summary.loading ? 'true' : 'false'}>
        <li class="stat">
          <span class="stat__label">Items</span>
          <span class="stat__value" data-stat="itemCount">
            {s ? formatNumber(s.itemCount) : '…'}
          </span>
        </li>
        <li class="stat">
          <span class="stat__label">Units in stock</span>
          <span class="stat__value" data-stat="totalUnits">
            {s ? formatNumber(s.totalUnits) : '…'}
          </span>
        </li>
        <li class="stat">
          <span class="stat__label">Stock value (at cost)</span>
          <span class="stat__value" data-stat="stockValue">
            {s ? formatCents(s.stockValueCents) : '…'}
          </span>
        </li>
        <li class={`stat${s && s.lowStockCount > 0 ? ' stat--warn' : ''}`}>
          <span class="stat__label">Low stock</span>
          <span class="stat__value" data-stat="lowStockCount">
            {s ? formatNumber(s.lowStockCount) : '…'}
          </span>
        </li>
      </ul>

      <div class="dash-grid">
        <section class="card" aria-labelledby="chart-title">
          <h2 id="chart-title">Stock movements, last {DAYS} days</h2>
          <p class="legend" aria-hidden="true">
            <span class="legend__in">Units in</span>
            <span class="legend__out">Units out</span>
          </p>
          {chart.error ? <Notice tone="error">{describeError(chart.error)}</Notice> : null}
          {chart.loading ? <p role="status">Loading chart…</p> : null}
          {chart.data && !hasMovement ? (
            <p class="muted">No stock moved in the last {DAYS} days. Adjust stock on an item to see it here.</p>
          ) : null}
          {chart.data && hasMovement ? (
            <>
              <MovementChart days={days} title={`Units in and out per day over the last ${DAYS} days`} />
              {chart.data.partial ? (
                <p class="hint">Based on your {CHART_ITEMS} most recently changed items.</p>
              ) : null}
              <details class="chart-data">
                <summary>Show the numbers</summary>
                <ChartTable days={days} />
              </details>
            </>
          ) : null}
        </section>

        <section class="card" aria-labelledby="low-title">
          <h2 id="low-title">Low stock</h2>
          {low.error ? <Notice tone="error">{describeError(low.error)}</Notice> : null}
          {low.data && low.data.items.length === 0 ? <p class="muted">Nothing is running low.</p> : null}
          {low.data && low.data.items.length > 0 ? (
            <ul class="lowlist">
              {low.data.items.map((item) => (
                <li key={item.id}>
                  <a href={href(`/items/${encodeURIComponent(item.id)}`)}>{item.name}</a>
                  <span class="lowlist__qty">
                    {formatNumber(item.quantity)}
                    <span class="muted"> / {formatNumber(item.lowStockThreshold)}</span>
                  </span>
                </li>
              ))}
            </ul>
          ) : null}
          {low.data?.nextCursor ? (
            <p>
              <a href={href('/items?low=1&sort=quantity')}>See all low-stock items</a>
            </p>
          ) : null}
        </section>
      </div>
    </section>
  );
}
