import { distinctIds, eventConditions } from './event-sql';
import { checkLimit, checkRange, INPUT_BOUNDS } from './input-bounds';
import type { ResolverDeps } from './dashboard-context';
import { eventSource } from './tiered-events';

export interface PageCount {
  page: string;
  count: number;
  uniqueVisitors: number;
}

/** Pages of one customer by distinct page views (FINAL: a resent view is one row), then path. */
export async function topPages(
  deps: ResolverDeps,
  customerId: string,
  args: { from: number; to: number; limit: number },
): Promise<PageCount[]> {
  const range = checkRange(args.from, args.to, INPUT_BOUNDS.listRangeMs, 'for topPages');
  const where = eventConditions(customerId, range, { eventType: 'page_view' });
  const source = eventSource(deps, customerId, range);
  const rows = await deps.warehouse.query<{ page: string; count: string; visitors: string }>(
    `SELECT page, count() AS count, ${distinctIds('visitor_id')} AS visitors
      FROM ${source.sql}
      WHERE ${where.sql} AND page != ''
      GROUP BY page ORDER BY count DESC, page LIMIT {limit:UInt32}`,
    { ...source.params, ...where.params, limit: checkLimit(args.limit) },
  );
  return rows.map((row) => ({
    page: row.page,
    count: Number(row.count),
    uniqueVisitors: Number(row.visitors),
  }));
}
