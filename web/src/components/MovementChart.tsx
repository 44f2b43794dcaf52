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

const W = 640;
const H = 220;
const PAD = { top: 16, right: 12, bottom: 28, left: 44 };

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
 * same numbers as a table (ChartTable) rather than the drawing.
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

  return (
    <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" preserveAspectRatio="xMidYMid meet">
      <title>{title}</title>
      {ticks.map((t) => (
        <g key={t}>
          <line class="chart__grid" x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} />
          <text class="chart__label" x={PAD.left - 6} y={y(t) + 4} text-anchor="end">
            {formatNumber(t)}
          </text>
        </g>
      ))}
      {days.map((d, i) => {
        const x = PAD.left + i * slot + slot / 2;
        return (
          <g key={d.day.toISOString()}>
            <rect class="chart__in" x={x - bar - 1} y={y(d.in)} width={bar} height={Math.max(0, y(0) - y(d.in))}>
              <title>{`${formatDay(d.day)}: ${formatNumber(d.in)} in`}</title>
            </rect>
            <rect class="chart__out" x={x + 1} y={y(d.out)} width={bar} height={Math.max(0, y(0) - y(d.out))}>
              <title>{`${formatDay(d.day)}: ${formatNumber(d.out)} out`}</title>
            </rect>
            {i % labelEvery === 0 ? (
              <text class="chart__label" x={x} y={H - 8} text-anchor="middle">
                {formatDay(d.day)}
              </text>
            ) : null}
          </g>
        );
      })}
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
        {days.map((d) => (
          <tr key={d.day.toISOString()}>
            <th scope="row">{formatDay(d.day)}</th>
            <td class="num">{formatNumber(d.in)}</td>
            <td class="num">{formatNumber(d.out)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
