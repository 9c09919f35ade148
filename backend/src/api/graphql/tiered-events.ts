import { tieredEvents } from '../../warehouse/event-archive';
import { DATABASE, ID_HASHES, TABLES, type SqlCondition } from './event-sql';
import type { TimeRange } from './input-bounds';
import type { ResolverDeps } from './dashboard-context';

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
 * Where a range's events come from, as a FROM item with its parameters: `events FINAL` for a
 * range inside the warm tier (or without an archive), else the warehouse for the warm tier's
 * hours and the archive before them (event-archive.ts, `tieredEvents`). With `final: false` a
 * range inside the warm tier reads `events` without FINAL, for a query whose answer is the same
 * with an event's unmerged copies among the rows (a copy has its first copy's `timestamp` and
 * the same payload): distinct event_ids, ordered funnel steps; not `count()`, nor enrichment
 * such as `country`, which a resend may change. Callers filter the rows by customer and range
 * as always; a user never has to know where the data sits. Both
 * have the id hashes of `events` (ID_HASHES), computed here for the tiered rows.
 */
export function eventSource(
  { warehouse, now }: Pick<ResolverDeps, 'warehouse' | 'now'>,
  customerId: string,
  range: TimeRange,
  { final = true }: { final?: boolean } = {},
): SqlCondition {
  const store = warehouse.archiveStore;
  const tiered =
    store &&
    tieredEvents(DATABASE, store, customerId, {
      from: range.from,
      now: now(),
      columns: COLUMNS,
    });
  if (!tiered) return { sql: final ? `${TABLES.events} FINAL` : TABLES.events, params: {} };
  const hashes = Object.values(ID_HASHES)
    .map(({ column, expression }) => `${expression} AS ${column}`)
    .join(', ');
  return {
    sql: `(SELECT *, ${hashes} FROM ${tiered.sql}) AS tiered_hashed`,
    params: tiered.params,
  };
}
