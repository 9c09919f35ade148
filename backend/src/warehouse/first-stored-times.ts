import type { ClickHouseClient } from '@clickhouse/client';
import type { PulseEvent } from '@pulse/contract';

/** Ids per lookup: keeps the query parameters (a URL on a server) well under 1 MB. */
const CHUNK = 5_000;

/** Hours per lookup, for the same reason: a history import's events can each open a window. */
const HOURS_PER_LOOKUP = 10_000;

const HOUR_MS = 3_600_000;

/**
 * How far from a copy's own `timestamp` its first copy is looked for: 24 hours either way.
 * Copies come from one device, so their skew-corrected times differ only by how much the
 * device's clock moved against ours between the two sends (milliseconds usually; a clock set
 * right by up to a day stays inside). A copy further away is stored at its own time, as a
 * second row. The window is what makes the lookup's cost independent of the customer's
 * history: `events` is sorted by (customer_id, hour, event_id), so the lookup reads the key
 * ranges of 49 hours, not every day of the warm tier (migration 9).
 */
export const RESEND_WINDOW_MS = 24 * HOUR_MS;

/** The key an event is deduplicated on. */
export const eventKey = (event: Pick<PulseEvent, 'customer_id' | 'event_id'>): string =>
  `${event.customer_id}\u0000${event.event_id}`;

/** `YYYY-MM-DD hh:00:00`, a DateTime parameter of ClickHouse (UTC). */
const hourText = (hour: number): string =>
  new Date(hour * HOUR_MS).toISOString().slice(0, 13).replace('T', ' ') + ':00:00';

/** Hours either side of an event's own hour that RESEND_WINDOW_MS reaches into. */
const WINDOW_HOURS = RESEND_WINDOW_MS / HOUR_MS;

/** A lookup's ids and the hours of their windows, each within its bound. */
export interface Lookup {
  ids: Set<string>;
  hours: Set<number>;
}

/**
 * The batch's distinct ids, in lookups of at most CHUNK ids and HOURS_PER_LOOKUP hours. A live
 * batch (minutes of events) is one lookup of about 49 hours; a history import is taken in time
 * order, so events close in time share their hours. An event's window is the hours that
 * RESEND_WINDOW_MS either side of its time touches (its own and WINDOW_HOURS either side),
 * added once per hour, not per event: a live batch's thousands of events span an hour or two
 * (computed per event it took 9-25 ms of JavaScript for 3,500 events).
 */
export function lookups(events: readonly PulseEvent[]): Lookup[] {
  const firstCopies = new Map<string, { id: string; hour: number }>();
  for (const event of events) {
    const key = eventKey(event);
    if (!firstCopies.has(key)) {
      const hour = Math.floor(Date.parse(event.timestamp) / HOUR_MS);
      firstCopies.set(key, { id: event.event_id, hour });
    }
  }
  const byTime = [...firstCopies.values()].sort((a, b) => a.hour - b.hour);
  const all: Lookup[] = [];
  let current: Lookup = { ids: new Set(), hours: new Set() };
  let windowOf = NaN;
  for (const { id, hour } of byTime) {
    const opens = hour !== windowOf;
    if (
      current.ids.size === CHUNK ||
      (opens && current.hours.size + 2 * WINDOW_HOURS + 1 > HOURS_PER_LOOKUP)
    ) {
      all.push(current);
      current = { ids: new Set(), hours: new Set() };
      windowOf = NaN;
    }
    if (hour !== windowOf) {
      for (let h = hour - WINDOW_HOURS; h <= hour + WINDOW_HOURS; h++) current.hours.add(h);
      windowOf = hour;
    }
    current.ids.add(id);
  }
  if (current.ids.size > 0) all.push(current);
  return all;
}

/**
 * The query for one lookup: the stored copies' first times. A superset when customers share
 * ids; the key filter of `firstStoredTimes` makes it exact. The hour condition is on the
 * sorting key's own expression, so it selects key ranges (a test reads its EXPLAIN).
 */
export function storedCopiesQuery(
  database: string,
  customers: readonly string[],
  { ids, hours }: Lookup,
) {
  return {
    query: `SELECT customer_id, event_id, toUnixTimestamp64Milli(min(timestamp)) AS ms
      FROM ${database}.events
      WHERE customer_id IN {customers:Array(String)}
        AND toStartOfHour(timestamp) IN {hours:Array(DateTime('UTC'))}
        AND event_id IN {ids:Array(String)}
      GROUP BY customer_id, event_id`,
    query_params: { customers, ids: [...ids], hours: [...hours].map(hourText) },
    format: 'JSONEachRow' as const,
  };
}

/**
 * For every event of the batch that was seen before (stored already within RESEND_WINDOW_MS of
 * its time, or earlier in the same batch), the `timestamp` of its first copy.
 *
 * A resend carries a new `received_at`, so its skew-corrected `timestamp` can differ by a few
 * milliseconds, possibly across a minute or day boundary. Storing every copy at the first
 * copy's time keeps each event in one minute of the rollups (rule 8: "a duplicate counts in
 * the minute of its first t") and in one hour of the sorting key, where ReplacingMergeTree
 * can fold it. Writes are serialised by the warehouse, so no two batches race here.
 */
export async function firstStoredTimes(
  client: ClickHouseClient,
  database: string,
  events: readonly PulseEvent[],
): Promise<Map<string, string>> {
  const first = new Map<string, string>();
  if (events.length == 0) return first;
  const customers = [...new Set(events.map((e) => e.customer_id))];
  for (const lookup of lookups(events)) {
    const result = await client.query(storedCopiesQuery(database, customers, lookup));
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
