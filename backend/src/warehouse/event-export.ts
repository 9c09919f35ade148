import type { ClickHouseClient } from '@clickhouse/client';
import { isCustomerId } from '@pulse/contract';
import { WarehouseError } from './warehouse-error';
import { tieredEvents } from './event-archive';
import { replaceFile, type FileStore } from './file-store';

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

/**
 * Writes one UTC day of a customer's events to `customer_id=<id>/dt=<day>/events.<ext>` of a
 * file store (a directory, or a bucket: file-store.ts), one file per format, written by
 * ClickHouse itself (`INSERT INTO FUNCTION file()` or `s3()`): the Hive-style layout
 * Snowflake stages (`COPY INTO … PATTERN`) and BigQuery load jobs (hive partitioning) read.
 * Each event once (FINAL), ordered by (timestamp, event_id), and each file replaced whole:
 * running it again over the same events gives the same bytes. With a ClickHouse server a
 * directory is on the server's disk. A day older than the warm tier comes from the archive,
 * when there is one.
 */
export async function exportEventsOfDay(
  client: ClickHouseClient,
  database: string,
  options: {
    customerId: string;
    day: string;
    to: FileStore;
    formats: readonly ExportFormat[];
    /** The cold tier: a day older than the warm tier is read from it (event-archive.ts). */
    archive?: { store: FileStore; now: number } | null;
  },
): Promise<DayExport> {
  const { customerId, day, to, formats, archive } = options;
  if (!isCustomerId(customerId)) {
    throw new WarehouseError('invalid_option', `not a customer id: ${customerId}`);
  }
  const start = Date.parse(`${day}T00:00:00.000Z`);
  if (!DAY.test(day) || Number.isNaN(start) || new Date(start).toISOString().slice(0, 10) !== day) {
    throw new WarehouseError('invalid_option', `day must be a date (YYYY-MM-DD): ${day}`);
  }
  const tiered =
    archive && tieredEvents(database, archive.store, customerId, { from: start, now: archive.now });
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
    });
    files.push(file);
  }
  const result = await client.query({
    query: `SELECT count() AS n FROM ${source} WHERE ${where}`,
    query_params: params,
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ n: string }>();
  return { day, rows: Number(row?.n ?? 0), files };
}
