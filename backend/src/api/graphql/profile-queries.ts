import {
  canonicalEvents,
  distinctIds,
  eventConditions,
  ID_HASHES,
  instant,
  LINKS,
  TABLES,
} from './event-sql';
import { eventColumns, toEvent, type DashboardEvent, type EventRow } from './event-queries';
import { badUserInput } from './graphql-errors';
import { checkInt, checkLimit, checkRange, checkText, INPUT_BOUNDS } from './input-bounds';
import type { ResolverDeps } from './dashboard-context';
import { eventSource } from './tiered-events';

/** Distinct visitor_ids of one customer with event time in the last 5 minutes by `now()`. */
export async function liveVisitors({ warehouse, now }: ResolverDeps, customerId: string) {
  const at = now();
  const where = eventConditions(customerId, { from: at - INPUT_BOUNDS.liveWindowMs, to: at + 1 });
  const [row] = await warehouse.query<{ visitors: string }>(
    `SELECT ${distinctIds('visitor_id')} AS visitors FROM ${TABLES.events} WHERE ${where.sql}`,
    where.params,
  );
  return Number(row?.visitors ?? 0);
}

/** Distinct events and visitors of one customer with event time in the last 5 minutes. */
export async function lastFiveMinutes({ warehouse, now }: ResolverDeps, customerId: string) {
  const at = now();
  const [row] = await warehouse.query<{ events: string; visitors: string }>(
    `SELECT uniqExact(event_id) AS events, ${distinctIds('visitor_id')} AS visitors
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
 * The top profiles are picked by count first, in a query of their own: distinct visitors and
 * sessions are then counted for those few only, from the events of their own sources (a
 * second pass over every event of the range took twice as long as the first, over 10M events).
 * A batch stored between the two queries can only change the counts shown, which are exact
 * for the moment of the second.
 *
 * The pick reads every stored row without FINAL, so a resent event's unmerged copies count
 * again there: each profile's figure is at most that much above its count. The candidates
 * (`limit` and as many more, at least 20) are then counted exactly, and their top `limit`
 * stands when its last counts more than the first profile left out could; else (copies moved
 * the border) the pick is made again with FINAL. Over 10M events (1.4M in the last 24 hours)
 * the panel's p50 was 0.78-0.95 of the pick with FINAL, interleaved in one run (2026-12-07).
 */
export async function userCounts(
  deps: ResolverDeps,
  customerId: string,
  args: { from: number; to: number; limit: number },
): Promise<UserCount[]> {
  const range = checkRange(args.from, args.to, INPUT_BOUNDS.listRangeMs, 'for userCounts');
  const limit = checkLimit(args.limit);
  const candidates = Math.min(limit + Math.max(limit, 20), INPUT_BOUNDS.maxLimit);
  const picked = await pickByCount(deps, customerId, range, candidates + 1, false);
  const exact = await profileCounts(deps, customerId, range, {
    ids: picked.slice(0, candidates).map((row) => row.canonical),
  });
  const border = picked[candidates];
  const last = exact[limit - 1];
  if (!border || (last && last.count > Number(border.events))) return exact.slice(0, limit);
  const top = await pickByCount(deps, customerId, range, limit, true);
  return profileCounts(deps, customerId, range, { ids: top.map((row) => row.canonical) });
}

/**
 * The `limit` profiles with most rows in the range, and their rows: with `final`, each event
 * once; without, the unmerged copies of resent events too. Events are counted per source first
 * and the sources' counts summed per profile: every event has one source, so the sums are
 * exact, and only the sources meet the links, not every event (a quarter less time over 10M
 * events).
 */
async function pickByCount(
  deps: ResolverDeps,
  customerId: string,
  range: { from: number; to: number },
  limit: number,
  final: boolean,
): Promise<Array<{ canonical: string; events: string }>> {
  const where = eventConditions(customerId, range);
  const source = eventSource(deps, customerId, range, { final });
  return deps.warehouse.query<{ canonical: string; events: string }>(
    `SELECT if(links.user_id != '', links.user_id, bySource.source) AS canonical,
        sum(bySource.events) AS events
      FROM (
        SELECT ifNull(user_id, visitor_id) AS source, count() AS events
        FROM ${source.sql} WHERE ${where.sql} GROUP BY source
      ) AS bySource
      LEFT JOIN ${LINKS} ON bySource.source = links.source_id
      GROUP BY canonical ORDER BY events DESC, canonical LIMIT {limit:UInt32}`,
    { ...source.params, ...where.params, link_customer: customerId, limit },
  );
}

/** Most profiles a search answers, and most ids profileActivity takes. */
export const MAX_PROFILES_PER_LOOKUP = 100;

/**
 * Profiles with an event in the last 31 days whose user id, visitor id or `email` trait (of an
 * identify, compared without case) is `query` exactly, most active first.
 */
export async function profileSearch(
  deps: ResolverDeps,
  customerId: string,
  args: { query: string; limit: number },
): Promise<UserCount[]> {
  const query = checkText('query', args.query)?.trim() ?? '';
  if (!query) throw badUserInput('query', 'must not be empty');
  const limit = checkInt('limit', args.limit, 1, MAX_PROFILES_PER_LOOKUP);
  const matches = `SELECT canonical FROM ({events})
    WHERE canonical = {query:String} OR source = {query:String} OR visitor_id = {query:String}
      OR (event_type = 'identify'
        AND lower(JSONExtractString(properties, 'email')) = lower({query:String}))`;
  const rows = await profileCounts(deps, customerId, lastMonth(deps), {
    sql: matches,
    params: { query },
  });
  return rows.slice(0, limit);
}

/** The activity over the last 31 days of these profiles (canonical ids; unknown ones are left out). */
export async function profileActivity(
  deps: ResolverDeps,
  customerId: string,
  args: { ids: string[] },
): Promise<UserCount[]> {
  if (args.ids.length > MAX_PROFILES_PER_LOOKUP) {
    throw badUserInput('ids', `at most ${MAX_PROFILES_PER_LOOKUP} ids; got ${args.ids.length}`);
  }
  args.ids.forEach((id, i) => checkText(`ids[${i}]`, id));
  if (args.ids.length === 0) return [];
  return profileCounts(deps, customerId, lastMonth(deps), { ids: args.ids });
}

/**
 * The newest events of a profile over the last 31 days, across all its stitched ids: `id` may
 * be any of them (a visitor id names the user it is linked to).
 */
export async function profileTimeline(
  deps: ResolverDeps,
  customerId: string,
  args: { id: string; limit: number },
): Promise<DashboardEvent[]> {
  const id = checkText('id', args.id) ?? '';
  const range = lastMonth(deps);
  const events = canonicalEvents(
    customerId,
    eventColumns('e.'),
    eventConditions(customerId, range),
    eventSource(deps, customerId, range),
  );
  const rows = await deps.warehouse.query<EventRow>(
    `SELECT * FROM (${events.sql})
      WHERE canonical = (
        SELECT if(count() > 0, any(user_id), {id:String}) FROM ${TABLES.identities} FINAL
        WHERE customer_id = {link_customer:String} AND source_id = {id:String})
      ORDER BY ts DESC, event_id DESC LIMIT {limit:UInt32}`,
    { ...events.params, id, limit: checkLimit(args.limit) },
  );
  return rows.map(toEvent);
}

const lastMonth = ({ now }: ResolverDeps) => {
  const at = now();
  return { from: at - INPUT_BOUNDS.listRangeMs, to: at + 60_000 };
};

/**
 * Counts per profile (canonical id) over a range, for the profiles `chosen` names: a list of
 * canonical ids, or a subquery that may read the range's canonical events as `({events})`
 * (columns visitor_id, session_id, timestamp, source, event_type, properties, canonical).
 * Distinct visitors and sessions are counted for the chosen profiles only. For a list, only
 * the events whose source (user_id, else visitor_id) is a listed id or is linked to one are
 * read and stitched: every event of a listed profile has such a source.
 */
async function profileCounts(
  deps: ResolverDeps,
  customerId: string,
  range: { from: number; to: number },
  chosen: { sql: string; params: Record<string, unknown> } | { ids: readonly string[] },
): Promise<UserCount[]> {
  if ('ids' in chosen && chosen.ids.length === 0) return [];
  const where = eventConditions(customerId, range);
  const sources =
    'ids' in chosen
      ? ` AND ifNull(user_id, visitor_id) IN (
          SELECT arrayJoin({ids:Array(String)})
          UNION ALL
          SELECT source_id FROM ${TABLES.identities} FINAL
          WHERE customer_id = {link_customer:String} AND user_id IN {ids:Array(String)})`
      : '';
  const events = canonicalEvents(
    customerId,
    `e.event_id AS event_id, e.visitor_id AS visitor_id, e.session_id AS session_id,
      e.timestamp AS timestamp,
      e.source AS source, e.event_type AS event_type, e.properties AS properties`,
    { sql: where.sql + sources, params: where.params },
    // Every figure below is the same with an event's unmerged copies among the rows (count is
    // of distinct event_ids): without FINAL only the chosen profiles' rows are read.
    eventSource(deps, customerId, range, { final: false }),
  );
  const picked =
    'ids' in chosen
      ? { sql: 'SELECT arrayJoin({ids:Array(String)})', params: { ids: chosen.ids } }
      : chosen;
  const rows = await deps.warehouse.query<{
    id: string;
    identified: number;
    count: string;
    visitors: string;
    sessions: string;
    last_seen: string;
  }>(
    `SELECT canonical AS id, max(identified) AS identified, uniqExact(event_id) AS count,
        uniqExact(${ID_HASHES.visitor_id.expression}) AS visitors,
        uniqExact(${ID_HASHES.session_id.expression}) AS sessions,
        toUnixTimestamp64Milli(max(timestamp)) AS last_seen
      FROM (${events.sql})
      WHERE canonical IN (${picked.sql.replaceAll('{events}', events.sql)})
      GROUP BY id ORDER BY count DESC, id LIMIT ${INPUT_BOUNDS.maxLimit}`,
    { ...events.params, ...picked.params },
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
