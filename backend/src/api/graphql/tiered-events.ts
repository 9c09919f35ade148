import { archivedEventsOf } from '../../warehouse/event-archive';
import { instant, TABLES, type SqlCondition } from './event-sql';
import type { TimeRange } from './input-bounds';
import type { ResolverDeps } from './dashboard-context';

const HOUR = 3_600_000;

/**
 * How far back the warm tier answers. The warehouse keeps 7 days (TTL), so older hours come
 * from the archive; a day of overlap means a TTL merge never races a query, and a range that
 * spans both tiers takes each hour from exactly one of them.
 */
export const WARM_TIER_MS = 6 * 24 * HOUR;

/** The columns the dashboard queries read, the same from either tier. */
const COLUMNS = [
  'customer_id',
  'event_id',
  'visitor_id',
  'user_id',
  'session_id',
  'event_type',
  'event_name',
  'properties',
  'context',
  'page',
  'referrer',
  'country',
  'browser',
  'device',
  'timestamp',
  'received_at',
].join(', ');

/**
 * Where a range's events come from, as a FROM item with its parameters: the warehouse (each
 * event once, FINAL) for a range inside the warm tier, or, when the range starts before it and
 * the warehouse has an archive, the warehouse from the tier boundary (the start of the hour 6
 * days back) on and the archive before it: its hour files and the old events still waiting to
 * be archived (a history import of a minute ago), each event once. Callers filter the rows by
 * customer and range as always; a user never has to know where the data sits.
 */
export function eventSource(
  { warehouse, now }: Pick<ResolverDeps, 'warehouse' | 'now'>,
  customerId: string,
  range: TimeRange,
): SqlCondition {
  const dir = warehouse.archiveDir;
  const boundary = Math.floor((now() - WARM_TIER_MS) / HOUR) * HOUR;
  if (!dir || range.from >= boundary) return { sql: `${TABLES.events} FINAL`, params: {} };
  const customer = 'customer_id = {tier_customer:String}';
  return {
    sql: `(
      SELECT ${COLUMNS} FROM ${TABLES.events} FINAL
      WHERE ${customer} AND timestamp >= ${instant('tier_boundary')}
      UNION ALL
      SELECT ${COLUMNS} FROM (
        SELECT ${COLUMNS} FROM ${archivedEventsOf(dir, customerId)}
        UNION ALL
        SELECT ${COLUMNS} FROM ${TABLES.archiveOld} WHERE ${customer})
      WHERE timestamp >= ${instant('tier_from')} AND timestamp < ${instant('tier_boundary')}
      ORDER BY event_id, received_at LIMIT 1 BY event_id
    ) AS tiered`,
    params: { tier_customer: customerId, tier_boundary: boundary, tier_from: range.from },
  };
}
