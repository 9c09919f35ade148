import type { ClickHouseClient } from '@clickhouse/client';
import { isCustomerId } from '@pulse/contract';
import { WarehouseError } from './warehouse-error';
import { READ_SETTINGS } from './warehouse-reads';
import { tieredEvents, warmTierStart } from './event-archive';
import { replaceFile, storeLocation, type FileStore } from './file-store';

/** The formats of an export: Parquet for Snowflake/BigQuery loads, NDJSON for anything else. */
export const EXPORT_FORMATS = { parquet: 'Parquet', ndjson: 'JSONEachRow' } as const;
export type ExportFormat = keyof typeof EXPORT_FORMATS;

/** What one day's export wrote. */
export interface DayExport {
  day: string;
  /** Distinct events of the customer on that day (UTC, by event time). */
  rows: number;
  /** The files written, relative to the store exported to. */
  files: string[];
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/**
 * An export covers the events received up to this long before it started: an insert in
 * flight, or an edge clock a little ahead, cannot slip past it unseen. An event received
 * later makes its day due again (`exportsDue`).
 */
export const EXPORT_MARGIN_MS = 5 * 60_000;

/** A day is due for its scheduled export this long after it ended (UTC). */
export const EXPORT_DELAY_MS = 3_600_000;

/**
 * Writes one UTC day of a customer's events to `customer_id=<id>/dt=<day>/events.<ext>` of a
 * file store (a directory, or a bucket: file-store.ts), one file per format, written by
 * ClickHouse itself (`INSERT INTO FUNCTION file()` or `s3()`): the Hive-style layout
 * Snowflake stages (`COPY INTO … PATTERN`) and BigQuery load jobs (hive partitioning) read.
 * Each event once (FINAL), ordered by (timestamp, event_id), and each file replaced whole:
 * running it again over the same events gives the same bytes. With a ClickHouse server a
 * directory is on the server's disk. A day older than the warm tier comes from the archive,
 * when there is one. Each export is recorded in the `exports` table (where to, how many
 * events, which events it covers), which `exportsDue` reads.
 */
export async function exportEventsOfDay(
  client: ClickHouseClient,
  database: string,
  options: {
    customerId: string;
    day: string;
    to: FileStore;
    formats: readonly ExportFormat[];
    /** The wall clock (ms) when the export starts. */
    now: number;
    /** The cold tier: a day older than the warm tier is read from it (event-archive.ts). */
    archive?: FileStore | null;
  },
): Promise<DayExport> {
  const { customerId, day, to, formats, archive, now } = options;
  if (!isCustomerId(customerId)) {
    throw new WarehouseError('invalid_option', `not a customer id: ${customerId}`);
  }
  const start = Date.parse(`${day}T00:00:00.000Z`);
  if (!DAY.test(day) || Number.isNaN(start) || new Date(start).toISOString().slice(0, 10) !== day) {
    throw new WarehouseError('invalid_option', `day must be a date (YYYY-MM-DD): ${day}`);
  }
  const tiered = archive && tieredEvents(database, archive, customerId, { from: start, now });
  const source = tiered ? tiered.sql : `${database}.events FINAL`;
  const params = { customer: customerId, from: start, to: start + 86_400_000, ...tiered?.params };
  const where = `customer_id = {customer:String}
    AND timestamp >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')
    AND timestamp < fromUnixTimestamp64Milli({to:Int64}, 'UTC')`;
  const files: string[] = [];
  for (const format of formats) {
    const file = `customer_id=${customerId}/dt=${day}/events.${format}`;
    await replaceFile(client, to, file, {
      format: EXPORT_FORMATS[format],
      select: `SELECT * FROM ${source} WHERE ${where} ORDER BY timestamp, event_id`,
      params,
      settings: READ_SETTINGS,
    });
    files.push(file);
  }
  const result = await client.query({
    query: `SELECT count() AS n FROM ${source} WHERE ${where}`,
    query_params: params,
    format: 'JSONEachRow',
    clickhouse_settings: READ_SETTINGS,
  });
  const [row] = await result.json<{ n: string }>();
  const rows = Number(row?.n ?? 0);
  await client.insert({
    table: `${database}.exports`,
    values: [
      {
        customer_id: customerId,
        day,
        location: storeLocation(to),
        rows,
        files,
        covers_received_before: now - EXPORT_MARGIN_MS,
      },
    ],
    format: 'JSONEachRow',
  });
  return { day, rows, files };
}

/**
 * Records that a profile's events of these days were deleted at `now`: each day an export
 * already wrote is due again (`exportsDue`), so the customer's files lose them too.
 */
export async function recordErasures(
  client: ClickHouseClient,
  database: string,
  options: { customerId: string; days: readonly string[]; now: number },
): Promise<void> {
  const days = [...new Set(options.days)].filter((day) => DAY.test(day));
  if (!days.length) return;
  const erasedAt = new Date(options.now).toISOString().replace('T', ' ').replace('Z', '');
  await client.insert({
    table: `${database}.export_erasures`,
    values: days.map((day) => ({ customer_id: options.customerId, day, erased_at: erasedAt })),
    format: 'JSONEachRow',
  });
}

/**
 * The UTC days (`YYYY-MM-DD`, oldest first) a customer's scheduled export to `to` should write
 * at `now`: the days of the warm tier that ended `EXPORT_DELAY_MS` ago or more and hold events
 * not covered by an export of that day to that store yet (never exported, or an event
 * received since), or whose export holds events of a profile deleted since (`recordErasures`;
 * such a day is written again even when nothing of it is left). Older days are the archive's:
 * exported on request (`POST /v1/exports`), and not written again after a deletion.
 */
export async function exportsDue(
  client: ClickHouseClient,
  database: string,
  options: { customerId: string; to: FileStore; now: number },
): Promise<string[]> {
  const { customerId, to, now } = options;
  const from = Math.floor(warmTierStart(now) / DAY_MS) * DAY_MS + DAY_MS;
  const until = Math.floor((now - EXPORT_DELAY_MS) / DAY_MS) * DAY_MS;
  if (from >= until) return [];
  const result = await client.query({
    // `last`: the latest event received or erasure of the day; `stored`: it holds events.
    query: `SELECT toString(held.day) AS day FROM (
        SELECT day, max(last) AS last, max(stored) AS stored FROM (
          SELECT toDate(timestamp) AS day, max(received_at) AS last, 1 AS stored
          FROM ${database}.events
          WHERE customer_id = {customer:String}
            AND timestamp >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')
            AND timestamp < fromUnixTimestamp64Milli({until:Int64}, 'UTC')
          GROUP BY day
          UNION ALL
          SELECT day, max(erased_at) AS last, 0 AS stored FROM ${database}.export_erasures
          WHERE customer_id = {customer:String}
            AND day >= toDate(fromUnixTimestamp64Milli({from:Int64}, 'UTC'))
            AND day < toDate(fromUnixTimestamp64Milli({until:Int64}, 'UTC'))
          GROUP BY day)
        GROUP BY day) AS held
      LEFT JOIN (
        SELECT day, max(covers_received_before) AS covered FROM ${database}.exports
        WHERE customer_id = {customer:String} AND location = {location:String}
        GROUP BY day) AS done ON held.day = done.day
      WHERE (done.covered IS NULL AND held.stored = 1) OR held.last >= done.covered
      ORDER BY held.day`,
    query_params: { customer: customerId, location: storeLocation(to), from, until },
    format: 'JSONEachRow',
    clickhouse_settings: { join_use_nulls: 1 },
  });
  return (await result.json<{ day: string }>()).map((row) => row.day);
}
