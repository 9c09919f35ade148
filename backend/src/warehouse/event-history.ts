import type { ClickHouseClient } from '@clickhouse/client';
import type { EventType, PulseEvent } from '@pulse/contract';
import type { EventRow } from './rows';
import { READ_SETTINGS } from './warehouse-reads';
import { tieredEvents } from './event-archive';
import type { FileStore } from './file-store';

/** Which events `eventsSince` reads; absent fields match every event. */
export interface EventFilter {
  eventType?: EventType;
  eventName?: string;
}

/** Events per page of `eventsSince`. */
export const EVENT_HISTORY_PAGE = 5_000;

type StoredRow = Omit<EventRow, 'timestamp' | 'original_timestamp' | 'sent_at' | 'received_at'> & {
  timestamp_ms: string;
  original_timestamp_ms: string;
  sent_at_ms: string;
  received_at_ms: string;
};

const iso = (ms: string): string => new Date(Number(ms)).toISOString();

/** The PulseEvent a stored row came from (each copy at its first copy's `timestamp`). */
function toPulseEvent(row: StoredRow): PulseEvent {
  return {
    event_id: row.event_id,
    customer_id: row.customer_id,
    visitor_id: row.visitor_id,
    user_id: row.user_id,
    session_id: row.session_id,
    event_type: row.event_type as EventType,
    event_name: row.event_name,
    properties: JSON.parse(row.properties) as PulseEvent['properties'],
    previous_id: row.previous_id,
    context: JSON.parse(row.context) as PulseEvent['context'],
    timestamp: iso(row.timestamp_ms),
    original_timestamp: iso(row.original_timestamp_ms),
    sent_at: iso(row.sent_at_ms),
    received_at: iso(row.received_at_ms),
  };
}

/**
 * A customer's events with `timestamp >= from`, once each, in (timestamp, event_id) order, a
 * page at a time. Pages are read by key (after the last event of the previous page), so an
 * event written meanwhile is never read twice; one written behind the reader is not read.
 * With an archive, a `from` older than the warm tier reads the archive for those hours.
 */
export async function* readEventsSince(
  client: ClickHouseClient,
  database: string,
  customerId: string,
  from: Date,
  filter: EventFilter = {},
  pageSize = EVENT_HISTORY_PAGE,
  archive: { store: FileStore; now: number } | null = null,
): AsyncGenerator<PulseEvent[]> {
  // Before the warm tier, the archive (event-archive.ts) holds the history.
  const tiered =
    archive &&
    tieredEvents(database, archive.store, customerId, { from: from.getTime(), now: archive.now });
  const source = tiered ? tiered.sql : `${database}.events FINAL`;
  const conditions = [
    'customer_id = {customer:String}',
    "timestamp >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')",
    filter.eventType !== undefined ? 'event_type = {type:String}' : '',
    filter.eventName !== undefined ? 'event_name = {name:String}' : '',
  ].filter(Boolean);
  let after: { ms: number; id: string } | null = null;
  for (;;) {
    const keyset = after
      ? "AND (timestamp, event_id) > (fromUnixTimestamp64Milli({after_ms:Int64}, 'UTC'), {after_id:String})"
      : '';
    const result = await client.query({
      // FINAL folds the copies of an event (same key, same stored time) into one row.
      query: `SELECT * EXCEPT (timestamp, original_timestamp, sent_at, received_at),
          toUnixTimestamp64Milli(timestamp) AS timestamp_ms,
          toUnixTimestamp64Milli(original_timestamp) AS original_timestamp_ms,
          toUnixTimestamp64Milli(sent_at) AS sent_at_ms,
          toUnixTimestamp64Milli(received_at) AS received_at_ms
        FROM ${source}
        WHERE ${conditions.join(' AND ')} ${keyset}
        ORDER BY timestamp, event_id
        LIMIT {limit:UInt32}`,
      query_params: {
        customer: customerId,
        from: from.getTime(),
        type: filter.eventType ?? '',
        name: filter.eventName ?? '',
        after_ms: after?.ms ?? 0,
        after_id: after?.id ?? '',
        limit: pageSize,
        ...tiered?.params,
      },
      format: 'JSONEachRow',
      clickhouse_settings: READ_SETTINGS,
    });
    const rows = await result.json<StoredRow>();
    if (rows.length === 0) return;
    yield rows.map(toPulseEvent);
    if (rows.length < pageSize) return;
    const last = rows[rows.length - 1] as StoredRow;
    after = { ms: Number(last.timestamp_ms), id: last.event_id };
  }
}
