import { formatDay, formatNumber } from '../lib/format';

export interface DayTotals {
  day: Date;
  in: number;
  out: number;
}

interface ChartProps {
  days: DayTotals[];
  title: string;
}

/** What the last day is called: the server's series ends on today in the shop's time zone. */
export const TODAY = 'Today';

/** "Today: 17 in, 3 out" — the words the axis, the caption and the accessible name share. */
export function todaySummary(days: DayTotals[]): string | null {
  const last = days.at(-1);
  return last ? `${TODAY}: ${formatNumber(last.in)} in, ${formatNumber(last.out)} out` : null;
}

/** The label under a bar: "Today" for the last day, else its date. */
const dayLabel = (days: DayTotals[], i: number, d: DayTotals) => (i === days.length - 1 ? TODAY : formatDay(d.day));

const W = 640;
const H = 220;
const PAD = { top: 24, right: 12, bottom: 28, left: 44 };

/** A round axis maximum: 1, 2, 5 × 10^n at or above `n`. */
function niceMax(n: number): number {
  if (n <= 0) return 5;
  const exp = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 5, 10]) if (m * exp >= n) return m * exp;
  return 10 * exp;
}

/**
 * Units in and out per day, as paired bars, drawn by hand in SVG (no chart library, nothing inline
 * that the CSP would refuse: colours come from classes in the stylesheet). Screen readers get the
 * same numbers as a table (ChartTable) rather than the drawing, and the drawing's name ends with
 * today's figures, the one day a merchant looks for.
 *
 * The last pair of bars is today (the series ends on the shop's today): it is labelled "Today" on the
 * axis (the date label that would crowd it is dropped) with its figures above it, so nobody has to
 * count bars from a date.
 */
export function MovementChart({ days, title }: ChartProps) {
  const max = niceMax(Math.max(1, ...days.map((d) => Math.max(d.in, d.out))));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(1, days.length);
  const bar = Math.max(2, Math.min(14, slot / 2 - 2));
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const ticks = [0, max / 2, max];
  const labelEvery = Math.ceil(days.length / 7);
  const last = days.length - 1;
  // A date label closer than this many slots to "Today" would overlap it.
  const labelled = (i: number) => i === last || (i % labelEvery === 0 && last - i >= labelEvery);
  const today = days[last];
  const summary = todaySummary(days);

  return (
    <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" preserveAspectRatio="xMidYMid meet">
      <title>{summary ? `${title}. ${summary}.` : title}</title>
      {ticks.map((t) => (
        <g key={t}>
          <line class="chart__grid" x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} />
          <text class="chart__label" x={PAD.left - 6} y={y(t) + 4} text-anchor="end">
            {formatNumber(t)}
          </text>
        </g>
      ))}
      {today ? <rect class="chart__today-band" x={PAD.left + last * slot} y={PAD.top - 4} width={slot} height={plotH + 4} /> : null}
      {days.map((d, i) => {
        const x = PAD.left + i * slot + slot / 2;
        const label = dayLabel(days, i, d);
        return (
          <g key={d.day.toISOString()} class={i === last ? 'chart__today' : undefined}>
            <rect class="chart__in" x={x - bar - 1} y={y(d.in)} width={bar} height={Math.max(0, y(0) - y(d.in))}>
              <title>{`${label}: ${formatNumber(d.in)} in`}</title>
            </rect>
            <rect class="chart__out" x={x + 1} y={y(d.out)} width={bar} height={Math.max(0, y(0) - y(d.out))}>
              <title>{`${label}: ${formatNumber(d.out)} out`}</title>
            </rect>
            {labelled(i) ? (
              // The last label is anchored at its end so "Today" never runs past the plot's right edge.
              <text
                class={i === last ? 'chart__label chart__label--today' : 'chart__label'}
                x={i === last ? Math.min(x + slot / 2, W - 2) : x}
                y={H - 8}
                text-anchor={i === last ? 'end' : 'middle'}
              >
                {label}
              </text>
            ) : null}
          </g>
        );
      })}
      {today ? (
        // Today's figures in the top margin, over a light band behind today's bars that ties them together
        // (inside role="img" the drawing is one image: its name says the figures).
        <text class="chart__figure" x={W - PAD.right} y={PAD.top - 10} text-anchor="end">
          {`${TODAY}: ${formatNumber(today.in)} in · ${formatNumber(today.out)} out`}
        </text>
      ) : null}
      <line class="chart__axis" x1={PAD.left} x2={W - PAD.right} y1={y(0)} y2={y(0)} />
    </svg>
  );
}

export function ChartTable({ days }: { days: DayTotals[] }) {
  return (
    <table class="table table--compact">
      <thead>
        <tr>
          <th scope="col">Day</th>
          <th scope="col" class="num">
            Units in
          </th>
          <th scope="col" class="num">
            Units out
          </th>
        </tr>
      </thead>
      <tbody>
        {days.map((d, i) => (
          <tr key={d.day.toISOString()}>
            <th scope="row" title={i === days.length - 1 ? formatDay(d.day) : undefined}>
              {i === days.length - 1 ? TODAY : formatDay(d.day)}
            </th>
            <td class="num">{formatNumber(d.in)}</td>
            <td class="num">{formatNumber(d.out)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
