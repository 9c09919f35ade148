import {
  DIMENSION_COLUMNS,
  distinctIds,
  eventConditions,
  ID_HASHES,
  type Dimension,
} from './event-sql';
import { checkInt, checkRange, INPUT_BOUNDS } from './input-bounds';
import { checkEventFilter } from './timeseries-query';
import type { DimensionFilter } from './event-sql';
import type { ResolverDeps } from './dashboard-context';
import { eventSource } from './tiered-events';

/** GraphQL `Dimension` → a dimension of events, or the page a session entered or left on. */
const DIMENSIONS = {
  EVENT_TYPE: 'eventType',
  EVENT_NAME: 'eventName',
  PAGE: 'page',
  ENTRY_PAGE: 'entry',
  EXIT_PAGE: 'exit',
  REFERRER: 'referrer',
  UTM_SOURCE: 'utmSource',
  UTM_CAMPAIGN: 'utmCampaign',
  COUNTRY: 'country',
  DEVICE: 'device',
  BROWSER: 'browser',
} as const satisfies Record<string, Dimension | 'entry' | 'exit'>;

interface RangeFilterArgs {
  from: number;
  to: number;
  filter?: DimensionFilter | null;
}

export interface BreakdownArgs extends RangeFilterArgs {
  dimension: keyof typeof DIMENSIONS;
  limit: number;
}

export interface Summary {
  events: number;
  uniqueVisitors: number;
  sessions: number;
  pageViews: number;
}

export interface BreakdownRow {
  value: string;
  count: number;
  uniqueVisitors: number;
}

const checked = (args: RangeFilterArgs, what: string) => ({
  range: checkRange(args.from, args.to, INPUT_BOUNDS.listRangeMs, what),
  filter: checkEventFilter(args.filter),
});

/**
 * Exact totals of one customer's range: distinct events, visitors, sessions and page views.
 * Distinct visitors of a range are not the sum of its buckets', so a dashboard's headline
 * numbers come from here and not from adding up a time series.
 */
export async function summary(
  deps: ResolverDeps,
  customerId: string,
  args: RangeFilterArgs,
): Promise<Summary> {
  const { range, filter } = checked(args, 'for summary');
  const where = eventConditions(customerId, range, filter);
  const source = eventSource(deps, customerId, range);
  const [row] = await deps.warehouse.query<{
    events: string;
    visitors: string;
    sessions: string;
    views: string;
  }>(
    `SELECT count() AS events, ${distinctIds('visitor_id')} AS visitors,
        ${distinctIds('session_id')} AS sessions, countIf(event_type = 'page_view') AS views
      FROM ${source.sql} WHERE ${where.sql}`,
    { ...source.params, ...where.params },
  );
  return {
    events: Number(row?.events ?? 0),
    uniqueVisitors: Number(row?.visitors ?? 0),
    sessions: Number(row?.sessions ?? 0),
    pageViews: Number(row?.views ?? 0),
  };
}

/**
 * The top values of one dimension over a range, most events first (then by value), each with
 * its distinct events and visitors. FINAL reads a resent event once. Entry and exit pages are
 * per session: the path of its first and of its last page view in the range (ties on time go
 * to the smaller event_id), counted in sessions; page views without a session are left out.
 */
export async function breakdown(
  deps: ResolverDeps,
  customerId: string,
  args: BreakdownArgs,
): Promise<BreakdownRow[]> {
  const { range, filter } = checked(args, 'for breakdown');
  const source = eventSource(deps, customerId, range);
  const limit = checkInt('limit', args.limit, 1, INPUT_BOUNDS.maxBreakdownLimit);
  const dimension = DIMENSIONS[args.dimension];
  let sql: string;
  let params: Record<string, unknown>;
  if (dimension === 'entry' || dimension === 'exit') {
    // A filter on another event type selects no page view: nothing entered or left.
    if (filter.eventType && filter.eventType !== 'page_view') return [];
    const where = eventConditions(customerId, range, { ...filter, eventType: 'page_view' });
    const pick = dimension === 'entry' ? 'argMin' : 'argMax';
    sql = `SELECT value, count() AS count, uniqExact(visitor) AS visitors FROM (
        SELECT ${pick}(page, (timestamp, event_id)) AS value, any(${ID_HASHES.visitor_id.column}) AS visitor
        FROM ${source.sql}
        WHERE ${where.sql} AND session_id IS NOT NULL AND page != ''
        GROUP BY session_id)
      GROUP BY value ORDER BY count DESC, value LIMIT {limit:UInt32}`;
    params = where.params;
  } else {
    const where = eventConditions(customerId, range, filter);
    const column = DIMENSION_COLUMNS[dimension];
    sql = `SELECT ${column} AS value, count() AS count, ${distinctIds('visitor_id')} AS visitors
      FROM ${source.sql} WHERE ${where.sql}
      GROUP BY value ORDER BY count DESC, value LIMIT {limit:UInt32}`;
    params = where.params;
  }
  const rows = await deps.warehouse.query<{ value: string; count: string; visitors: string }>(sql, {
    ...source.params,
    ...params,
    limit,
  });
  return rows.map((row) => ({
    value: row.value,
    count: Number(row.count),
    uniqueVisitors: Number(row.visitors),
  }));
}
