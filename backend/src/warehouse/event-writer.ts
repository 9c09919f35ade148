import type { PulseEvent } from '@pulse/contract';
import type { ClickHouseClient } from '@clickhouse/client';
import { eventKey, firstStoredTimes } from './first-stored-times';
import { EVENT_COLUMNS, toEventRow, type EventRow } from './rows';
import { toTabSeparated } from './tab-separated';

/**
 * Rows per INSERT. A usual batch goes in one INSERT (one part; smaller chunks measured no
 * faster); the bound keeps a huge batch's TabSeparated body far below V8's string limit.
 */
const ROWS_PER_INSERT = 50_000;

/** Sends one TabSeparated body of `columns` rows into `table`. */
export type InsertBody = (table: string, columns: readonly string[], body: string) => Promise<void>;

/**
 * Inserts events, each copy of an event at the time its first copy was stored with
 * (see `firstStoredTimes`).
 *
 * chdb runs queries on its own threads, so the JavaScript work overlaps the engine's: rows
 * are encoded while the duplicate lookup runs, and a chunk is encoded while the previous one
 * is inserted. Chunks go in order; the first failure stops the rest and rejects.
 */
export async function writeEvents(
  client: ClickHouseClient,
  database: string,
  events: readonly PulseEvent[],
  insert: InsertBody,
): Promise<void> {
  if (events.length == 0) return;
  const lookup = firstStoredTimes(client, database, events);
  const rows = events.map((event) => toEventRow(event));
  const first = await lookup;
  events.forEach((event, i) => {
    const time = first.get(eventKey(event));
    if (time !== undefined && time !== event.timestamp) rows[i] = toEventRow(event, time);
  });
  let inserted: Promise<void> = Promise.resolve();
  for (const chunk of insertChunks(rows)) {
    const body = toTabSeparated(chunk, EVENT_COLUMNS);
    inserted = inserted.then(() => insert('events', EVENT_COLUMNS, body));
  }
  await inserted;
}

/**
 * Days one INSERT may touch. `events` and `rollup_minute` are partitioned by day, and
 * ClickHouse refuses an INSERT block touching more than `max_partitions_per_insert_block`
 * (100) partitions: a history import replayed in one batch would fail on every retry.
 */
export const DAYS_PER_INSERT = 50;

/**
 * The rows in INSERT-sized chunks: at most ROWS_PER_INSERT rows and DAYS_PER_INSERT days
 * each. A live batch (one or two days) stays one chunk; a history import is grouped by day
 * first, so months of events need only a few inserts.
 */
export function insertChunks(rows: readonly EventRow[]): EventRow[][] {
  const byDay = new Map<string, EventRow[]>();
  for (const row of rows) {
    // `timestamp` is `YYYY-MM-DD hh:mm:ss.sss` (UTC): its date is the partition.
    const day = row.timestamp.slice(0, 10);
    const rowsOfDay = byDay.get(day);
    if (rowsOfDay) rowsOfDay.push(row);
    else byDay.set(day, [row]);
  }
  const chunks: EventRow[][] = [];
  let chunk: EventRow[] = [];
  let days = 0;
  for (const rowsOfDay of byDay.values()) {
    if (days === DAYS_PER_INSERT) {
      chunks.push(chunk);
      chunk = [];
      days = 0;
    }
    days += 1;
    for (const row of rowsOfDay) {
      if (chunk.length === ROWS_PER_INSERT) {
        chunks.push(chunk);
        chunk = [];
        days = 1;
      }
      chunk.push(row);
    }
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
