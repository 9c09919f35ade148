import type { ClickHouseClient } from '@clickhouse/client';
import type { PulseEvent } from '@pulse/contract';

/** Ids per lookup: keeps the query parameters (a URL on a server) well under 1 MB. */
const CHUNK = 5_000;

/** The key an event is deduplicated on. */
export const eventKey = (event: Pick<PulseEvent, 'customer_id' | 'event_id'>): string =>
  `${event.customer_id}\u0000${event.event_id}`;

/**
 * For every event of the batch that was seen before (stored already, or earlier in the same
 * batch), the `timestamp` of its first copy.
 *
 * A resend carries a new `received_at`, so its skew-corrected `timestamp` can differ by a few
 * milliseconds, possibly across a minute or day boundary. Storing every copy at the first
 * copy's time keeps each event in one minute of the rollups (rule 8: "a duplicate counts in
 * the minute of its first t") and in one partition, where ReplacingMergeTree can fold it.
 * Writes are serialised by the warehouse, so no two batches race here.
 */
export async function firstStoredTimes(
  client: ClickHouseClient,
  database: string,
  events: readonly PulseEvent[],
): Promise<Map<string, string>> {
  const first = new Map<string, string>();
  if (events.length == 0) return first;
  const customers = [...new Set(events.map((e) => e.customer_id))];
  const ids = [...new Set(events.map((e) => e.event_id))];
  for (let start = 0; start < ids.length; start += CHUNK) {
    const result = await client.query({
      // A superset when customers share ids; the key filter below makes it exact.
      query: `SELECT customer_id, event_id, toUnixTimestamp64Milli(min(timestamp)) AS ms
        FROM ${database}.events
        WHERE customer_id IN {customers:Array(String)} AND event_id IN {ids:Array(String)}
        GROUP BY customer_id, event_id`,
      query_params: { customers, ids: ids.slice(start, start + CHUNK) },
      format: 'JSONEachRow',
    });
    for (const row of await result.json<{ customer_id: string; event_id: string; ms: string }>()) {
      first.set(eventKey(row), new Date(Number(row.ms)).toISOString());
    }
  }
  for (const event of events) {
    const key = eventKey(event);
    if (!first.has(key)) first.set(key, event.timestamp);
  }
  return first;
}
