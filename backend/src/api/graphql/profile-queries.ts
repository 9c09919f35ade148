import { canonicalEvents, eventConditions, instant, TABLES } from './event-sql';
import { checkLimit, checkRange, INPUT_BOUNDS } from './input-bounds';
import type { ResolverDeps } from './dashboard-context';

/** Distinct visitor_ids of one customer with event time in the last 5 minutes by `now()`. */
export async function liveVisitors({ warehouse, now }: ResolverDeps, customerId: string) {
  const at = now();
  const where = eventConditions(customerId, { from: at - INPUT_BOUNDS.liveWindowMs, to: at + 1 });
  const [row] = await warehouse.query<{ visitors: string }>(
    `SELECT uniqExact(visitor_id) AS visitors FROM ${TABLES.events} WHERE ${where.sql}`,
    where.params,
  );
  return Number(row?.visitors ?? 0);
}

/** Distinct events and visitors of one customer with event time in the last 5 minutes. */
export async function lastFiveMinutes({ warehouse, now }: ResolverDeps, customerId: string) {
  const at = now();
  const [row] = await warehouse.query<{ events: string; visitors: string }>(
    `SELECT uniqExact(event_id) AS events, uniqExact(visitor_id) AS visitors
      FROM ${TABLES.events}
      WHERE customer_id = {customer:String} AND timestamp >= ${instant('from')}
        AND timestamp < ${instant('to')}`,
    { customer: customerId, from: at - INPUT_BOUNDS.liveWindowMs, to: at + 1 },
  );
  return { events: Number(row?.events ?? 0), visitors: Number(row?.visitors ?? 0) };
}

export interface UserCount {
  id: string;
  identified: boolean;
  count: number;
  visitors: number;
  sessions: number;
  lastSeen: number;
}

/**
 * Distinct events per stitched profile (canonical id: the user of `identities` for the
 * event's user_id or visitor_id, else that id), most first. Stitching is read at query time,
 * so a visitor's events before an identify count for the user as soon as the link is stored.
 * The top profiles are picked by count first: distinct visitors and sessions are then counted
 * for those few only, not for every profile of the range (half the time over 10M events).
 */
export async function userCounts(
  { warehouse }: ResolverDeps,
  customerId: string,
  args: { from: number; to: number; limit: number },
): Promise<UserCount[]> {
  const range = checkRange(args.from, args.to, INPUT_BOUNDS.listRangeMs, 'for userCounts');
  const events = canonicalEvents(
    customerId,
    'e.visitor_id AS visitor_id, e.session_id AS session_id, e.timestamp AS timestamp',
    eventConditions(customerId, range),
  );
  const rows = await warehouse.query<{
    id: string;
    identified: number;
    count: string;
    visitors: string;
    sessions: string;
    last_seen: string;
  }>(
    `SELECT canonical AS id, max(identified) AS identified, count() AS count,
        uniqExact(visitor_id) AS visitors, uniqExact(session_id) AS sessions,
        toUnixTimestamp64Milli(max(timestamp)) AS last_seen
      FROM (${events.sql})
      WHERE canonical IN (
        SELECT canonical FROM (${events.sql})
        GROUP BY canonical ORDER BY count() DESC, canonical LIMIT {limit:UInt32})
      GROUP BY id ORDER BY count DESC, id LIMIT {limit:UInt32}`,
    { ...events.params, limit: checkLimit(args.limit) },
  );
  return rows.map((row) => ({
    id: row.id,
    identified: Number(row.identified) === 1,
    count: Number(row.count),
    visitors: Number(row.visitors),
    sessions: Number(row.sessions),
    lastSeen: Number(row.last_seen),
  }));
}
