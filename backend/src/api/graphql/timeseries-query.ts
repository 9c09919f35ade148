import { distinctIds, eventConditions, DIMENSION_COLUMNS, type DimensionFilter } from './event-sql';
import { checkInt, checkRange, checkText, INPUT_BOUNDS } from './input-bounds';
import type { ResolverDeps } from './dashboard-context';
import { eventSource } from './tiered-events';

/** GraphQL `Bucket` → the ClickHouse function that starts a bucket (UTC). */
const BUCKET_STARTS = {
  MINUTE: 'toStartOfMinute',
  HOUR: 'toStartOfHour',
  DAY: 'toStartOfDay',
} as const;

/** GraphQL `Breakdown` → the dimension it splits by. */
const BREAKDOWN_DIMENSIONS = {
  EVENT_TYPE: 'eventType',
  EVENT_NAME: 'eventName',
  PAGE: 'page',
  REFERRER: 'referrer',
  COUNTRY: 'country',
  DEVICE: 'device',
  BROWSER: 'browser',
  UTM_SOURCE: 'utmSource',
  UTM_CAMPAIGN: 'utmCampaign',
} as const;

export interface TimeseriesArgs {
  from: number;
  to: number;
  bucket: keyof typeof BUCKET_STARTS;
  filter?: DimensionFilter | null;
  breakdown?: keyof typeof BREAKDOWN_DIMENSIONS | null;
  breakdownLimit: number;
}

export interface TimeBucket {
  start: number;
  key: string | null;
  count: number;
  uniqueVisitors: number;
  sessions: number;
}

/** Which distinct counts to compute: each costs more than the event count of a bucket. */
export interface TimeseriesCounts {
  uniqueVisitors: boolean;
  sessions: boolean;
}

/** Checks every argument against INPUT_BOUNDS; returns the filter as SQL will use it. */
export function checkEventFilter(filter: DimensionFilter | null | undefined): DimensionFilter {
  const checked: DimensionFilter = {};
  for (const dimension of Object.keys(DIMENSION_COLUMNS) as (keyof DimensionFilter)[]) {
    checked[dimension] = checkText(`filter.${dimension}`, filter?.[dimension]);
  }
  return checked;
}

/**
 * Counts per bucket (and breakdown value) of one customer. Reads `events` with FINAL, so a
 * resent event is one row: `count()` is the number of distinct event_ids, and a copy whose
 * dimensions differ (a resend geolocated elsewhere) still lands in one breakdown value only.
 * With a breakdown, only its `breakdownLimit` values with most events in the range are kept.
 * Distinct visitors and sessions are counted only when `counts` asks for them (0 otherwise).
 */
export async function timeseries(
  deps: ResolverDeps,
  customerId: string,
  args: TimeseriesArgs,
  counts: TimeseriesCounts = { uniqueVisitors: true, sessions: true },
): Promise<TimeBucket[]> {
  const range = checkRange(
    args.from,
    args.to,
    INPUT_BOUNDS.rangeMs[args.bucket],
    `with ${args.bucket} buckets`,
  );
  const limit = checkInt('breakdownLimit', args.breakdownLimit, 1, INPUT_BOUNDS.maxBreakdownLimit);
  const where = eventConditions(customerId, range, checkEventFilter(args.filter));
  const source = eventSource(deps, customerId, range);
  const column = args.breakdown ? DIMENSION_COLUMNS[BREAKDOWN_DIMENSIONS[args.breakdown]] : null;
  const topKeys = column
    ? `AND ${column} IN (
        SELECT ${column} FROM ${source.sql} WHERE ${where.sql}
        GROUP BY ${column} ORDER BY count() DESC, ${column} LIMIT {key_limit:UInt32})`
    : '';
  const rows = await deps.warehouse.query<{
    start: string;
    key: string | null;
    count: string;
    visitors: string;
    sessions: string;
  }>(
    `SELECT toUnixTimestamp(${BUCKET_STARTS[args.bucket]}(timestamp)) AS start,
        ${column ?? 'NULL'} AS key,
        count() AS count,
        ${counts.uniqueVisitors ? distinctIds('visitor_id') : '0'} AS visitors,
        ${counts.sessions ? distinctIds('session_id') : '0'} AS sessions
      FROM ${source.sql}
      WHERE ${where.sql} ${topKeys}
      GROUP BY start, key ORDER BY start, key`,
    { ...source.params, ...where.params, key_limit: limit },
  );
  return rows.map((row) => ({
    start: Number(row.start) * 1000,
    key: row.key,
    count: Number(row.count),
    uniqueVisitors: Number(row.visitors),
    sessions: Number(row.sessions),
  }));
}
