import type { Db } from '../db/db.js';
import { toInt } from './rows.js';
import { inTenant } from './tenant.js';
import { INCOMING_REASONS } from './types.js';

/*
 * The merchant's stock movements per day, for the dashboard chart: one aggregate over the whole ledger
 * (every item), so the figures do not depend on how many items the catalogue has. Movements of deleted
 * items are gone with them (the ledger cascades), so they are not counted either.
 */

/** The window when the client names none: the dashboard's two weeks. */
export const DEFAULT_DAYS = 14;

/** The longest window a client may ask for (the route's schema says the same). */
export const MAX_DAYS = 90;

export interface DailyMovements {
  /** Calendar day in the shop's time zone, YYYY-MM-DD. */
  date: string;
  /** Goods that arrived: the positive deltas of deliveries and customer returns (INCOMING_REASONS) —
   * not opening stock, imports, counts or corrections, which set stock rather than bring it in. */
  unitsIn: number;
  /** Sum of the negative deltas, as a positive number. */
  unitsOut: number;
  /** How many ledger rows. */
  movements: number;
}

/**
 * The last `days` days of the shop's calendar (its `timezone`, an IANA name the settings checked against
 * PostgreSQL's tz database) up to and including today, oldest first, one entry per day (zero days
 * included: the series comes from generate_series, the movements are LEFT JOINed onto it).
 *
 * "Today" is the database's now() in the shop's zone, the same clock that stamped created_at, so an
 * adjustment just made always lands on the last day whatever the app server's clock or TimeZone says. The
 * days are integers added to a date (never a timestamptz series, whose day boundaries would follow the
 * connection's TimeZone); a day's start is the local midnight converted back to an instant, so a day
 * that a DST change makes 23 or 25 hours long is still one day. The window is a range on created_at,
 * so a future index on (shop_id, created_at) would serve it. Sums of int4 are int8 (a string from
 * node-postgres): toInt refuses rather than rounds if one ever exceeds 2^53.
 */
export async function getDailyMovements(db: Db, shopId: string, days: number, timezone = 'UTC'): Promise<DailyMovements[]> {
  // The route's schema already bounds it; a caller passing anything else is a bug, not a client error.
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) throw new Error(`daily movements: bad days ${days}`);
  const res = await inTenant(db, shopId, (tx) =>
    tx.query<{ date: string; units_in: number | string; units_out: number | string; movements: number | string }>(
      `WITH span AS (
         SELECT (now() AT TIME ZONE $4::text)::date - ($2::int - 1) AS first_day
       ),
       per_day AS (
         SELECT (m.created_at AT TIME ZONE $4::text)::date AS day,
                sum(m.delta) FILTER (WHERE m.delta > 0 AND m.reason = ANY ($3::text[])) AS units_in,
                sum(-m.delta) FILTER (WHERE m.delta < 0) AS units_out,
                count(*) AS movements
         FROM movements m, span
         WHERE m.shop_id = $1
           AND m.created_at >= (span.first_day::timestamp AT TIME ZONE $4::text)
         GROUP BY 1
       )
       SELECT to_char(span.first_day + i, 'YYYY-MM-DD') AS date,
              coalesce(per_day.units_in, 0) AS units_in,
              coalesce(per_day.units_out, 0) AS units_out,
              coalesce(per_day.movements, 0) AS movements
       FROM span
       CROSS JOIN generate_series(0, $2::int - 1) AS i
       LEFT JOIN per_day ON per_day.day = span.first_day + i
       ORDER BY i`,
      [shopId, days, INCOMING_REASONS, timezone],
    ),
  );
  return res.rows.map((row) => ({
    date: row.date,
    unitsIn: toInt(row.units_in),
    unitsOut: toInt(row.units_out),
    movements: toInt(row.movements),
  }));
}
