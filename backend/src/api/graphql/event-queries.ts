import type { EventType } from '@pulse/contract';
import { eventConditions, TABLES } from './event-sql';
import { checkLimit, INPUT_BOUNDS } from './input-bounds';
import type { ResolverDeps } from './dashboard-context';

/** The GraphQL `Event`. */
export interface DashboardEvent {
  eventId: string;
  eventType: EventType;
  eventName: string;
  visitorId: string;
  userId: string | null;
  sessionId: string | null;
  page: string;
  referrer: string;
  country: string;
  device: string;
  properties: Record<string, unknown>;
  timestamp: number;
  receivedAt: number;
}

export interface EventRow {
  event_id: string;
  event_type: EventType;
  event_name: string;
  visitor_id: string;
  user_id: string | null;
  session_id: string | null;
  page: string;
  referrer: string;
  country: string;
  device: string;
  properties: string;
  ts: string;
  received: string;
}

/** The columns of an `EventRow`; `table` qualifies them (`e.`) where a join makes names ambiguous. */
export const eventColumns = (table = '') =>
  `${['event_id', 'event_type', 'event_name', 'visitor_id', 'user_id', 'session_id', 'page']
    .concat(['referrer', 'country', 'device', 'properties'])
    .map((column) => `${table}${column} AS ${column}`)
    .join(', ')},
  toUnixTimestamp64Milli(${table}timestamp) AS ts,
  toUnixTimestamp64Milli(${table}received_at) AS received`;
const EVENT_COLUMNS = eventColumns();

export function toEvent(row: EventRow): DashboardEvent {
  let properties: Record<string, unknown> = {};
  try {
    properties = JSON.parse(row.properties) as Record<string, unknown>;
  } catch {
    // The writer stores JSON.stringify output; an unreadable bag shows as empty, not as an error.
  }
  return {
    eventId: row.event_id,
    eventType: row.event_type,
    eventName: row.event_name,
    visitorId: row.visitor_id,
    userId: row.user_id,
    sessionId: row.session_id,
    page: row.page,
    referrer: row.referrer,
    country: row.country,
    device: row.device,
    properties,
    timestamp: Number(row.ts),
    receivedAt: Number(row.received),
  };
}

/** recentEvents looks back this far first, then further while it has found too few. */
const RECENT_STEPS_MS = [5 * 60_000, 60 * 60_000, INPUT_BOUNDS.recentWindowMs] as const;

/**
 * The newest events of one customer from the last 24 hours, each once (`LIMIT 1 BY
 * event_id` keeps one copy of a resent event without FINAL's merge of the whole range).
 * A live dashboard's events are minutes old, so it reads the last 5 minutes, then the last
 * hour, and the whole day only when those hold fewer than `limit` events: the newest
 * `limit` events of a window that has that many are the newest of the day.
 */
export async function recentEvents(
  { warehouse, now }: ResolverDeps,
  customerId: string,
  args: { limit: number },
): Promise<DashboardEvent[]> {
  const limit = checkLimit(args.limit);
  const at = now();
  let rows: EventRow[] = [];
  for (const back of RECENT_STEPS_MS) {
    const where = eventConditions(customerId, { from: at - back, to: at + 1 });
    rows = await warehouse.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM ${TABLES.events} WHERE ${where.sql}
        ORDER BY timestamp DESC, event_id DESC LIMIT 1 BY event_id LIMIT {limit:UInt32}`,
      { ...where.params, limit },
    );
    if (rows.length >= limit) break;
  }
  return rows.map(toEvent);
}

/** One customer's events with these ids, each once, oldest first (the primary key finds them). */
export async function eventsByIds(
  { warehouse }: Pick<ResolverDeps, 'warehouse'>,
  customerId: string,
  ids: readonly string[],
): Promise<DashboardEvent[]> {
  if (ids.length === 0) return [];
  const rows = await warehouse.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM ${TABLES.events}
      WHERE customer_id = {customer:String} AND event_id IN {ids:Array(String)}
      ORDER BY timestamp, event_id LIMIT 1 BY event_id`,
    { customer: customerId, ids },
  );
  return rows.map(toEvent);
}
