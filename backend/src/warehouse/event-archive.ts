import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { isCustomerId } from '@pulse/contract';
import {
  relativeOf,
  replaceFile,
  storeRows,
  storeSettings,
  storeTable,
  type FileStore,
} from './file-store';
import { WarehouseError } from './warehouse-error';
import { READ_SETTINGS } from './warehouse-reads';

/**
 * The cold tier: one Parquet file per customer and UTC hour of event time, under
 * `customer_id=<id>/dt=<YYYY-MM-DD>/hour=<HH>/events.parquet` of a file store (file-store.ts:
 * a local directory, or a bucket of an S3-compatible store), in the Hive layout Athena,
 * Spark, DuckDB and ClickHouse read, written and read by ClickHouse itself (`file()`, `s3()`).
 *
 * A file holds each event of its hour once (the copy received first), ordered by (timestamp,
 * event_id): rewriting an hour from the same events gives the same bytes, and a resend or a
 * re-run import adds nothing. A local directory is on the disk of the process running
 * ClickHouse, so with a ClickHouse server the archive must be a bucket.
 */

/** The columns of an archived event: the events table's, in its order. */
export const ARCHIVE_COLUMNS = [
  ['customer_id', 'String'],
  ['event_id', 'String'],
  ['visitor_id', 'String'],
  ['user_id', 'Nullable(String)'],
  ['session_id', 'Nullable(String)'],
  ['event_type', 'String'],
  ['event_name', 'String'],
  ['previous_id', 'Nullable(String)'],
  ['properties', 'String'],
  ['context', 'String'],
  ['page', 'String'],
  ['referrer', 'String'],
  ['country', 'String'],
  ['browser', 'String'],
  ['device', 'String'],
  ['timestamp', "DateTime64(3, 'UTC')"],
  ['original_timestamp', "DateTime64(3, 'UTC')"],
  ['sent_at', "DateTime64(3, 'UTC')"],
  ['received_at', "DateTime64(3, 'UTC')"],
] as const;
const NAMES = ARCHIVE_COLUMNS.map(([name]) => name).join(', ');
const STRUCTURE = ARCHIVE_COLUMNS.map(([name, type]) => `${name} ${type}`).join(', ');

/** The archive's files of any customer on these UTC days (`YYYY-MM-DD`), as a FROM item. */
export const archivedEventsOnDays = (store: FileStore, days: readonly string[]): string =>
  storeRows(store, `*/dt={${days.join(',')}}/*/events.parquet`, 'Parquet', STRUCTURE);

/** One customer hour's file as a FROM item (no rows while the hour has no file). */
export const archivedHour = (store: FileStore, customerId: string, hourMs: number): string =>
  storeRows(store, archiveFileOf(customerId, hourMs), 'Parquet', STRUCTURE);

/**
 * How far back the warm tier answers reads. The warehouse keeps 7 days (TTL), so older hours
 * are read from the archive; a day of overlap means a TTL merge never races a read, and a
 * range over both tiers takes each hour from exactly one of them.
 */
export const WARM_TIER_MS = 6 * 24 * 3_600_000;

/** The first hour the warm tier answers at `now`. */
export const warmTierStart = (now: number): number =>
  Math.floor((now - WARM_TIER_MS) / 3_600_000) * 3_600_000;

/**
 * A customer's events from `from` on, each once, as a FROM item with its parameters: the
 * warehouse (FINAL) from the warm tier's start, and before it the archive's hour files and
 * the old events still waiting to be archived (a history import of a minute ago), the copy
 * received first. Null when `from` is inside the warm tier: read `events FINAL` as always.
 * `columns` are names of ARCHIVE_COLUMNS.
 */
export function tieredEvents(
  database: string,
  store: FileStore,
  customerId: string,
  options: { from: number; now: number; columns?: string },
): { sql: string; params: Record<string, unknown> } | null {
  const boundary = warmTierStart(options.now);
  if (options.from >= boundary) return null;
  const columns = options.columns ?? NAMES;
  const customer = 'customer_id = {tier_customer:String}';
  const at = (param: string) => `fromUnixTimestamp64Milli({${param}:Int64}, 'UTC')`;
  return {
    sql: `(
      SELECT ${columns} FROM ${database}.events FINAL
      WHERE ${customer} AND timestamp >= ${at('tier_boundary')}
      UNION ALL
      SELECT ${columns} FROM (
        SELECT ${columns} FROM ${archivedEventsOf(store, customerId, { from: options.from, to: boundary })}
        UNION ALL
        SELECT ${columns} FROM ${database}.archive_old WHERE ${customer})
      WHERE timestamp >= ${at('tier_from')} AND timestamp < ${at('tier_boundary')}
      ORDER BY event_id, received_at LIMIT 1 BY event_id
    ) AS tiered`,
    params: { tier_customer: customerId, tier_boundary: boundary, tier_from: options.from },
  };
}

/** Hours closed this long are archived: events arriving later rewrite their hour. */
export const ARCHIVE_LATENESS_MS = 10 * 60_000;

/** How far the archiver's watermark trails the database clock: longer than any insert takes. */
export const ARCHIVE_WATERMARK_LAG_MS = 10_000;

/** What one archiver run did. */
export interface ArchiveRun {
  /** Customer hours (re)written. */
  hours: number;
  /** Their files, relative to the archive directory. */
  files: string[];
}

/** The file of one customer hour, relative to the archive's root. */
export function archiveFileOf(customerId: string, hourMs: number): string {
  const at = new Date(hourMs).toISOString();
  return `customer_id=${customerId}/dt=${at.slice(0, 10)}/hour=${at.slice(11, 13)}/events.parquet`;
}

/**
 * The archived events of a customer as a FROM item (`file()` over its hour files, with the
 * columns given so that a customer with no file yet reads as empty).
 */
export function archivedEventsOf(
  store: FileStore,
  customerId: string,
  days?: { from: number; to: number },
): string {
  if (!isCustomerId(customerId)) {
    throw new WarehouseError('invalid_option', `not a customer id: ${customerId}`);
  }
  // Only the days of [from, to) when given: the glob then lists no other day's files.
  const dt = days ? `dt={${daysOf(days.from, days.to).join(',')}}` : '*';
  return storeRows(store, `customer_id=${customerId}/${dt}/*/events.parquet`, 'Parquet', STRUCTURE);
}

/** The UTC days (`YYYY-MM-DD`) that [from, to) touches; at least one. */
export function daysOf(from: number, to: number): string[] {
  const days: string[] = [];
  for (let day = Math.floor(from / 86_400_000); day * 86_400_000 < Math.max(to, from + 1); day++) {
    days.push(new Date(day * 86_400_000).toISOString().slice(0, 10));
  }
  return days;
}

/**
 * Archives every closed hour that got events since the last run: for each, the hour's events
 * in the warehouse, its old events waiting in `archive_old` and its file so far are merged,
 * each event once, into a new file that replaces the old one at once (`replaceFile`: a reader
 * never sees half a file). The markers and waiting events it consumed are then
 * deleted; anything that arrived meanwhile stays for the next run.
 */
export async function archiveClosedHours(
  client: ClickHouseClient,
  database: string,
  options: { store: FileStore; now: number; latenessMs?: number; watermarkLagMs?: number },
): Promise<ArchiveRun> {
  const { store } = options;
  // The start of the newest hour that ended at least `latenessMs` ago.
  const lastClosedHour =
    Math.floor((options.now - (options.latenessMs ?? ARCHIVE_LATENESS_MS)) / 3_600_000) *
      3_600_000 -
    3_600_000;
  const query = async <T>(sql: string, params: Record<string, unknown> = {}) =>
    (await client.query({ query: sql, query_params: params, format: 'JSONEachRow' })).json<T>();
  // Markers and waiting events stamped (by the database's clock) up to the watermark are
  // consumed. It lags the clock, so every insert stamped before it has committed by the time
  // its hour is read; later ones make their hour be rewritten at the next run.
  const [clock] = await query<{ at: string }>(
    `SELECT toUnixTimestamp64Milli(now64(3)) - {lag:Int64} AS at`,
    { lag: options.watermarkLagMs ?? ARCHIVE_WATERMARK_LAG_MS },
  );
  const watermark = Number(clock!.at);
  const hours = await query<{ customer_id: string; hour_ms: string }>(
    `SELECT customer_id, toUnixTimestamp(hour) * 1000 AS hour_ms FROM ${database}.archive_hours
      WHERE marked_at <= fromUnixTimestamp64Milli({watermark:Int64}, 'UTC')
        AND hour <= fromUnixTimestamp64Milli({closed:Int64}, 'UTC')
      GROUP BY customer_id, hour_ms ORDER BY customer_id, hour_ms`,
    { watermark, closed: lastClosedHour },
  );
  const files: string[] = [];
  const consumed: string[] = [];
  for (const { customer_id: customer, hour_ms: hour } of hours) {
    if (!isCustomerId(customer)) continue; // the edge only stores valid ids; never a path
    const start = Number(hour);
    const file = archiveFileOf(customer, start);
    const inHour = `customer_id = {customer:String}
      AND timestamp >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')
      AND timestamp < fromUnixTimestamp64Milli({to:Int64}, 'UTC')`;
    // The hour's file so far is one of the sources (empty when there is none yet).
    const sources = [
      `SELECT ${NAMES} FROM ${database}.events FINAL WHERE ${inHour}`,
      `SELECT ${NAMES} FROM ${database}.archive_old WHERE ${inHour}`,
      `SELECT ${NAMES} FROM ${archivedHour(store, customer, start)}`,
    ];
    await replaceFile(client, store, file, {
      format: 'Parquet',
      structure: STRUCTURE,
      select: `SELECT ${NAMES} FROM (
          SELECT * FROM (${sources.join(' UNION ALL ')})
          ORDER BY event_id, received_at, sent_at LIMIT 1 BY event_id)
        ORDER BY timestamp, event_id`,
      params: { customer, from: start, to: start + 3_600_000 },
      // FINAL within the hour's day partition (copies of an event share it). Without it a
      // file took 1.2 s instead of 30 ms over 90 days of 1M events; it was fast only after a
      // read with these settings had run, as chdb keeps a query's settings for later ones.
      settings: READ_SETTINGS,
    });
    files.push(file);
    consumed.push(`${customer}|${start / 1000}`);
  }
  // The hours written are done up to the watermark: their markers go, and so do their
  // waiting events, which the files hold now.
  for (const [table, stamp, hourOf] of [
    ['archive_hours', 'marked_at', 'hour'],
    ['archive_old', 'staged_at', 'toStartOfHour(timestamp)'],
  ] as const) {
    if (!consumed.length) break;
    await client.command({
      query: `DELETE FROM ${database}.${table}
        WHERE ${stamp} <= fromUnixTimestamp64Milli({watermark:Int64}, 'UTC')
          AND has({consumed:Array(String)}, concat(customer_id, '|', toString(toUnixTimestamp(${hourOf}))))
        SETTINGS lightweight_deletes_sync = 2`,
      query_params: { watermark, consumed },
    });
  }
  return { hours: files.length, files };
}

/**
 * Removes a profile's events from the archive (deleting a person everywhere): every file of
 * the customer holding an event sent under one of `ids` is rewritten without them, and the
 * waiting copies in `archive_old` are deleted. Resolves with the files rewritten.
 */
export async function deleteArchivedProfile(
  client: ClickHouseClient,
  database: string,
  options: { store: FileStore; customerId: string; ids: readonly string[] },
): Promise<string[]> {
  const { store, customerId, ids } = options;
  const theirs = `(visitor_id IN {ids:Array(String)} OR user_id IN {ids:Array(String)})`;
  await client.command({
    query: `DELETE FROM ${database}.archive_old WHERE customer_id = {customer:String} AND ${theirs}
      SETTINGS lightweight_deletes_sync = 2`,
    query_params: { customer: customerId, ids },
  });
  const result = await client.query({
    query: `SELECT DISTINCT _path AS path
      FROM ${storeTable(store, `customer_id=${customerId}/*/*/events.parquet`, 'Parquet', STRUCTURE)}
      WHERE ${theirs}`,
    query_params: { ids },
    format: 'JSONEachRow',
    clickhouse_settings: storeSettings(store, 'read'),
  });
  const files = (await result.json<{ path: string }>())
    .map((row) => relativeOf(row.path, 'customer_id'))
    .sort();
  for (const file of files) {
    await replaceFile(client, store, file, {
      format: 'Parquet',
      structure: STRUCTURE,
      select: `SELECT ${NAMES} FROM ${storeTable(store, file, 'Parquet', STRUCTURE)}
        WHERE NOT ${theirs} ORDER BY timestamp, event_id`,
      params: { ids },
    });
  }
  if (store.kind === 'dir') removeEmptyDirs(join(store.dir, `customer_id=${customerId}`));
  return files;
}

/** Leaves no empty hour directory behind (a file() glob over it would find nothing anyway). */
function removeEmptyDirs(dir: string): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) removeEmptyDirs(join(dir, entry.name));
  }
  if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
}
