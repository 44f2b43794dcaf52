import { useState } from 'preact/hooks';
import { type CountCommitted, type CountDetail as Detail, type CountLine, counts as countsApi } from '../api/counts';
import { items as itemsApi } from '../api/endpoints';
import { ApiError, describeError } from '../api/problem';
import { Notice } from '../components/Notice';
import { PageTitle } from '../components/PageTitle';
import { Scanner } from '../components/Scanner';
import { formatNumber, parseWhole } from '../lib/format';
import { formatMoney } from '../lib/money';
import { useCurrency } from '../state/currency';
import { href, navigate } from '../lib/router';
import { useStore } from '../lib/store';
import { useAsync } from '../lib/useAsync';
import { announce } from '../state/announcer';
import { mayAct, shopState } from '../state/shop';

const inputId = (itemId: string) => `count-${itemId}`;
const signed = (n: number) => (n > 0 ? `+${formatNumber(n)}` : formatNumber(n));
/** Lines a page: a phone screen's worth several times over, and one request per "Show more". */
const PAGE = 50;

/**
 * One count (issue 17): each item's expected number (the snapshot) against what is on the shelf. Counts
 * are absolute — type what you see, never a difference — and saved per line (a later entry replaces an
 * earlier one, also someone else's). A scan finds the item's line and puts the cursor in it. Entering
 * (and so scanning to a line) is a clerk's, commit and abandon a manager's (src/http/routes/counts.ts):
 * a viewer reads the lines, a clerk types them, and neither sees a button the server would refuse.
 *
 * The lines come a page at a time ("Show more lines"); the summary is the server's totals over the whole
 * count, refreshed after each entry, so it never depends on how many pages are loaded. A scanned item
 * whose line is not loaded yet makes the screen load pages until it is (or the count ends).
 */
export function CountDetail({ id }: { id: string }) {
  const state = useAsync(() => countsApi.get(id, { limit: PAGE }), [id]);
  const currency = useCurrency();
  const [typed, setTyped] = useState<Record<string, string>>({});
  const [lineErrors, setLineErrors] = useState<Record<string, string>>({});
  const [scanning, setScanning] = useState(false);
  const [scanNote, setScanNote] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<CountCommitted | null>(null);
  const [busy, setBusy] = useState(false);
  const [loadingMore, setLoadingMore] = useState(false);
  const shop = useStore(shopState);
  const enters = mayAct(shop, 'clerk');
  const closes = mayAct(shop, 'manager');

  const detail = state.data;
  if (!detail) {
    return (
      <section class="page">
        <PageTitle title="Count" />
        {state.error ? <Notice tone="error">{describeError(state.error)}</Notice> : <p role="status">Loading…</p>}
      </section>
    );
  }
  const open = detail.count.status === 'open';
  const editable = open && enters;
  const lines = detail.lines;
  const { totals } = detail;

  function replaceLine(current: Detail, line: CountLine): Detail {
    return { ...current, lines: current.lines.map((l) => (l.itemId === line.itemId ? { ...l, ...line } : l)) };
  }

  /** The next page of lines, appended; answers the grown detail (for the scan's search). */
  async function loadMore(current: Detail): Promise<Detail> {
    if (!current.nextCursor) return current;
    const page = await countsApi.get(id, { cursor: current.nextCursor, limit: PAGE });
    const seen = new Set(current.lines.map((l) => l.itemId));
    const grown = { ...page, lines: [...current.lines, ...page.lines.filter((l) => !seen.has(l.itemId))] };
    state.setData(grown);
    return grown;
  }

  async function showMore() {
    if (!detail) return;
    setLoadingMore(true);
    setError(null);
    try {
      await loadMore(detail);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setLoadingMore(false);
    }
  }

  async function save(line: CountLine) {
    const raw = typed[line.itemId];
    if (raw === undefined) return;
    const n = parseWhole(raw);
    if (n === null) return;
    if (Number.isNaN(n)) {
      setLineErrors((e) => ({ ...e, [line.itemId]: 'A whole number, 0 or more.' }));
      return;
    }
    setLineErrors(({ [line.itemId]: _, ...rest }) => rest);
    if (n === line.counted) return;
    try {
      const { line: saved } = await countsApi.enter(id, line.itemId, n);
      setTyped(({ [line.itemId]: _, ...rest }) => rest);
      // The totals are the whole count's: read them again (one line's page), keep the lines loaded here.
      const fresh = await countsApi.get(id, { limit: 1 });
      if (detail) state.setData(replaceLine({ ...detail, count: fresh.count, totals: fresh.totals }, saved));
    } catch (err) {
      setLineErrors((e) => ({ ...e, [line.itemId]: describeError(err) }));
    }
  }

  async function scanned(code: string) {
    setScanning(false);
    setScanNote(null);
    try {
      const { item } = await itemsApi.lookup(code);
      let loaded = detail as Detail;
      while (!loaded.lines.some((l) => l.itemId === item.id) && loaded.nextCursor) loaded = await loadMore(loaded);
      const line = loaded.lines.find((l) => l.itemId === item.id);
      if (!line) {
        setScanNote(`${item.name} is not in this count.`);
        return;
      }
      // After a page was added the row is rendered on the next frame.
      await new Promise((resolve) => requestAnimationFrame(resolve));
      const input = document.getElementById(inputId(item.id)) as HTMLInputElement | null;
      input?.scrollIntoView({ block: 'center' });
      input?.focus();
      input?.select();
    } catch (err) {
      setScanNote(err instanceof ApiError && err.status === 404 ? `No item has the code “${code}”.` : describeError(err));
    }
  }

  async function commit() {
    setBusy(true);
    setError(null);
    try {
      const done = await countsApi.commit(id);
      setResult(done);
      announce(`Count committed: ${done.adjusted} item${done.adjusted === 1 ? '' : 's'} adjusted.`);
      state.reload();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  async function abandon() {
    setBusy(true);
    setError(null);
    try {
      await countsApi.abandon(id);
      announce('Count abandoned.');
      navigate('/counts', { replace: true });
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  }

  return (
    <section class="page">
      <p class="crumbs">
        <a href={href('/counts')}>Stock counts</a>
      </p>
      <div class="page-head">
        <PageTitle title={detail.count.name || 'Count'} />
        <span class={`badge badge--${detail.count.status}`}>{detail.count.status}</span>
      </div>

      <p class="count-summary" role="status">
        {detail.count.countedLines} of {detail.count.lines} counted · variance {signed(totals.varianceUnits)} units
        {totals.varianceValueCents !== null ? ` (${formatMoney(totals.varianceValueCents, currency)})` : ''}
      </p>
      {result ? (
        <Notice tone="success">
          Committed: {result.adjusted} item{result.adjusted === 1 ? '' : 's'} adjusted, variance {signed(result.varianceUnits)} units
          {result.varianceValueCents !== null ? ` (${formatMoney(result.varianceValueCents, currency)})` : ''}.
        </Notice>
      ) : null}
      {error ? <Notice tone="error">{error}</Notice> : null}
      {scanNote ? <Notice tone="warning">{scanNote}</Notice> : null}
      {editable && scanning ? <Scanner onCode={scanned} /> : null}

      <div class="table-wrap">
        <table class="table table--count">
          <caption class="sr-only">Expected and counted, per item</caption>
          <thead>
            <tr>
              <th scope="col">Item</th>
              <th scope="col" class="num">
                Expected
              </th>
              <th scope="col" class="num">
                Counted
              </th>
              <th scope="col" class="num">
                Variance
              </th>
            </tr>
          </thead>
          <tbody>
            {lines.map((line) => {
              const shown = typed[line.itemId] ?? (line.counted === null ? '' : String(line.counted));
              return (
                <tr key={line.itemId}>
                  <th scope="row">
                    {line.name}
                    <span class="hint mono"> {line.sku}</span>
                  </th>
                  <td class="num">{formatNumber(line.expected)}</td>
                  <td class="num">
                    {editable ? (
                      <>
                        <input
                          id={inputId(line.itemId)}
                          class="count-input"
                          inputMode="numeric"
                          autoComplete="off"
                          aria-label={`Counted ${line.name}`}
                          aria-invalid={lineErrors[line.itemId] ? 'true' : undefined}
                          value={shown}
                          onInput={(e) => {
                            const v = e.currentTarget.value;
                            setTyped((t) => ({ ...t, [line.itemId]: v }));
                          }}
                          onBlur={() => void save(line)}
                          onKeyDown={(e) => {
                            if (e.key === 'Enter') {
                              e.preventDefault();
                              void save(line);
                            }
                          }}
                        />
                        {lineErrors[line.itemId] ? <span class="error-text">{lineErrors[line.itemId]}</span> : null}
                      </>
                    ) : line.counted === null ? (
                      '—'
                    ) : (
                      formatNumber(line.counted)
                    )}
                  </td>
                  <td class="num" data-variance={line.itemId}>
                    {line.counted === null ? '—' : signed(line.counted - line.expected)}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {detail.nextCursor ? (
        <div class="more">
          <p class="hint">
            {lines.length} of {detail.count.lines} lines shown
          </p>
          <button type="button" class="btn" onClick={() => void showMore()} disabled={loadingMore}>
            {loadingMore ? 'Loading…' : 'Show more lines'}
          </button>
        </div>
      ) : null}

      {editable ? (
        <div class="actions count-actions">
          <button type="button" class="btn" onClick={() => setScanning((s) => !s)}>
            {scanning ? 'Stop scanning' : 'Scan'}
          </button>
          {closes ? (
            <>
              <button type="button" class="btn btn--primary" onClick={commit} disabled={busy}>
                Commit count
              </button>
              <button type="button" class="btn btn--danger-ghost" onClick={abandon} disabled={busy}>
                Abandon
              </button>
            </>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
