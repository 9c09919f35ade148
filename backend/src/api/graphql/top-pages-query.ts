import { eventConditions, TABLES } from './event-sql';
import { checkLimit, checkRange, INPUT_BOUNDS } from './input-bounds';
import type { ResolverDeps } from './dashboard-context';

export interface PageCount {
  page: string;
  count: number;
  uniqueVisitors: number;
}

/** Pages of one customer by distinct page views (FINAL: a resent view is one row), then path. */
export async function topPages(
  { warehouse }: ResolverDeps,
  customerId: string,
  args: { from: number; to: number; limit: number },
): Promise<PageCount[]> {
  const range = checkRange(args.from, args.to, INPUT_BOUNDS.listRangeMs, 'for topPages');
  const where = eventConditions(customerId, range, { eventType: 'page_view' });
  const rows = await warehouse.query<{ page: string; count: string; visitors: string }>(
    `SELECT page, count() AS count, uniqExact(visitor_id) AS visitors
      FROM ${TABLES.events} FINAL
      WHERE ${where.sql} AND page != ''
      GROUP BY page ORDER BY count DESC, page LIMIT {limit:UInt32}`,
    { ...where.params, limit: checkLimit(args.limit) },
  );
  return rows.map((row) => ({
    page: row.page,
    count: Number(row.count),
    uniqueVisitors: Number(row.visitors),
  }));
}
