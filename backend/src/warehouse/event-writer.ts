import type { PulseEvent } from '@pulse/contract';
import type { ClickHouseClient } from '@clickhouse/client';
import { eventKey, firstStoredTimes } from './first-stored-times';
import { EVENT_COLUMNS, toEventRow } from './rows';
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
  for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
    const body = toTabSeparated(rows.slice(start, start + ROWS_PER_INSERT), EVENT_COLUMNS);
    inserted = inserted.then(() => insert('events', EVENT_COLUMNS, body));
  }
  await inserted;
}
