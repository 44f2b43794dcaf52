import { items as itemsApi } from '../api/endpoints';
import { describeError } from '../api/problem';
import type { DailyMovements } from '../api/types';
import { ChartTable, type DayTotals, MovementChart, todaySummary } from '../components/MovementChart';
import { Notice } from '../components/Notice';
import { PageTitle } from '../components/PageTitle';
import { formatNumber } from '../lib/format';
import { formatMoney } from '../lib/money';
import { useCurrency } from '../state/currency';
import { href } from '../lib/router';
import { useStore } from '../lib/store';
import { useAsync } from '../lib/useAsync';
import { mayAct, shopState } from '../state/shop';

const DAYS = 14;

/**
 * The server's per-day totals (one request, summed over the whole ledger) as the chart's days. The
 * server's days are calendar days of the shop's time zone, the last one its today; each becomes local
 * midnight of the same calendar date, so the label shows the date the server meant rather than the day
 * before for clients west of the shop.
 */
function toDayTotals(days: DailyMovements[]): DayTotals[] {
  return days.map((d) => {
    const [y = 0, m = 1, day = 1] = d.date.split('-').map(Number);
    return { day: new Date(y, m - 1, day), in: d.unitsIn, out: d.unitsOut };
  });
}

export function Dashboard() {
  const currency = useCurrency();
  const shop = useStore(shopState);
  const summary = useAsync(() => itemsApi.summary(), []);
  const low = useAsync(() => itemsApi.list({ lowStock: true, sort: 'quantity', limit: 10 }), []);
  const chart = useAsync(() => itemsApi.dailyMovements(DAYS), []);
  const s = summary.data;
  const days = chart.data ? toDayTotals(chart.data.days) : [];
  const hasMovement = chart.data?.days.some((d) => d.movements > 0) ?? false;

  return (
    <section class="page">
      <PageTitle title="Dashboard" />
      {summary.error ? <Notice tone="error">{describeError(summary.error)}</Notice> : null}
      <ul class="stats" aria-label="Inventory summary" aria-busy={summary.loading ? 'true' : 'false'}>
        <li class="stat">
          <a class="stat__label" href={href('/items')}>
            Items
          </a>
          <span class="stat__value" data-stat="itemCount">
            {s ? formatNumber(s.itemCount) : '…'}
          </span>
        </li>
        <li class="stat">
          <a class="stat__label" href={href('/items?sort=quantity')}>
            Units in stock
          </a>
          <span class="stat__value" data-stat="totalUnits">
            {s ? formatNumber(s.totalUnits) : '…'}
          </span>
        </li>
        {/* Cost is null below manager (docs/api.md): a tile that could only say "—" is left out. */}
        {mayAct(shop, 'manager') ? (
          <li class="stat">
            <span class="stat__label">Stock value (at cost)</span>
            <span class="stat__value" data-stat="stockValue">
              {s ? formatMoney(s.stockValueCents, currency) : '…'}
            </span>
          </li>
        ) : null}
        <li class={`stat${s && s.lowStockCount > 0 ? ' stat--warn' : ''}`}>
          <a class="stat__label" href={href('/items?low=1&sort=quantity')}>
            Low stock
          </a>
          <span class="stat__value" data-stat="lowStockCount">
            {s ? formatNumber(s.lowStockCount) : '…'}
          </span>
        </li>
      </ul>

      <div class="dash-grid">
        <section class="card" aria-labelledby="chart-title">
          <h2 id="chart-title">Stock movements, last {DAYS} days</h2>
          <p class="legend" aria-hidden="true">
            <span class="legend__in">Units in (deliveries and returns)</span>
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
              <p class="chart-today" data-testid="chart-today">
                {todaySummary(days)}
              </p>
              <p class="hint">Days run midnight to midnight in {shop?.shop?.timezone ?? 'UTC'} time, the shop's time zone.</p>
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
                    {formatNumber(item.quantity)} of {formatNumber(item.lowStockThreshold)} left
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
