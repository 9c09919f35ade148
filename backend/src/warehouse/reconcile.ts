import type { ClickHouseClient } from '@clickhouse/client';
import { isCustomerId } from '@pulse/contract';
import {
  ARCHIVE_COLUMNS,
  archiveClosedHours,
  archivedEventsOnDays,
  archivedHour,
  daysOf,
} from './event-archive';
import type { FileStore } from './file-store';

const HOUR = 3_600_000;

/** A share of an hour's events missing everywhere that raises an alert (0.1%). */
export const RECONCILE_ALERT_SHARE = 0.001;
/** Rollups live 24 hours: hours newer than this are checked against them too. */
const ROLLUP_HOURS = 23;

/** One customer hour and event type whose three counts disagreed. */
export interface ReconcileGap {
  customer_id: string;
  /** Start of the hour (ISO 8601, UTC). */
  hour: string;
  event_type: string;
  /** The most any source counted: what should be there. */
  expected: number;
  /** Distinct events in the warehouse, the archive and the per-minute rollups, before healing. */
  warehouse: number;
  archive: number;
  /** null for an hour older than the rollups keep. */
  rollups: number | null;
  /** Events copied back into the warehouse from the archive. */
  healed: number;
  /** Events still missing from the warehouse or the archive after healing. */
  missing: number;
  /** `missing / expected` above RECONCILE_ALERT_SHARE. */
  alert: boolean;
}

export interface ReconcileReport {
  from: string;
  to: string;
  /** Customer hours and event types compared. */
  compared: number;
  gaps: ReconcileGap[];
  alert: boolean;
}

type Counts = Map<string, number>;
const keyOf = (customer: string, hourMs: number, type: string) => `${customer}|${hourMs}|${type}`;

/**
 * The batch path's reconciliation for the closed, archived hours of [from, to): per customer,
 * hour and event type, the distinct events the warehouse holds, the archive holds and the
 * per-minute rollups counted (the rollups are written by the same insert as the events, keep
 * 24 hours and hold no ids: a third witness that a deletion in the warehouse does not touch).
 *
 * - The warehouse lacks events the archive has: they are copied back from the hour's file
 *   (`healed`). The insert goes through the tables' views, which count nothing twice.
 * - The archive lacks events the warehouse has: the hour is archived again.
 * - What is still missing after that (`missing`, e.g. rows lost from the warehouse whose hour's
 *   file is gone too) alerts above 0.1% of what the most trusted source counted.
 *
 * Hours still waiting for the archiver are left for the next run. Everything is ClickHouse SQL
 * over the tables and the Parquet files; only the loop over gaps is here.
 */
export async function reconcileHours(
  client: ClickHouseClient,
  database: string,
  options: { store: FileStore; from: number; to: number; now: number },
): Promise<ReconcileReport> {
  // Only the warm tier's hours: older ones have left the warehouse on purpose (TTL).
  const from = Math.floor(Math.max(options.from, options.now - 6 * 24 * HOUR) / HOUR) * HOUR;
  const to = Math.floor(options.to / HOUR) * HOUR;
  if (from >= to)
    return {
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      compared: 0,
      gaps: [],
      alert: false,
    };
  const params = { from, to };
  const inRange = (column: string) =>
    `${column} >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND ${column} < fromUnixTimestamp64Milli({to:Int64}, 'UTC')`;
  const rows = async (sql: string): Promise<Counts> => {
    const result = await client.query({ query: sql, query_params: params, format: 'JSONEachRow' });
    const counts: Counts = new Map();
    for (const row of await result.json<{ c: string; h: string; t: string; n: string }>()) {
      counts.set(keyOf(row.c, Number(row.h) * 1000, row.t), Number(row.n));
    }
    return counts;
  };
  const days = daysOf(from, to);
  const perHour = (table: string, count: string, time: string) =>
    `SELECT customer_id AS c, toUnixTimestamp(toStartOfHour(${time})) AS h, event_type AS t,
        ${count} AS n FROM ${table} WHERE ${inRange(time)} GROUP BY c, h, t`;
  const count = async () => {
    const [warehouse, archive, rollups, pending] = await Promise.all([
      rows(perHour(`${database}.events`, 'uniqExact(event_id)', 'timestamp')),
      rows(perHour(archivedEventsOnDays(options.store, days), 'uniqExact(event_id)', 'timestamp')),
      rows(
        perHour(
          `${database}.rollup_minute`,
          'uniqExactMerge(events)',
          `toDateTime64(minute, 3, 'UTC')`,
        ),
      ),
      rows(
        `SELECT customer_id AS c, toUnixTimestamp(hour) AS h, '' AS t, count() AS n
          FROM ${database}.archive_hours GROUP BY c, h`,
      ),
    ]);
    return { warehouse, archive, rollups, pending };
  };

  const before = await count();
  const rollupsFrom = options.now - ROLLUP_HOURS * HOUR;
  const keys = new Set([...before.warehouse.keys(), ...before.archive.keys()]);
  for (const key of before.rollups.keys()) {
    if (Number(key.split('|')[1]) >= rollupsFrom) keys.add(key);
  }
  const compared: Array<{ key: string; customer: string; hour: number; type: string }> = [];
  for (const key of keys) {
    const [customer = '', hourText = '', type = ''] = key.split('|');
    const hour = Number(hourText);
    // Not archived yet (or not closed): the archiver's, not a gap.
    if (before.pending.has(keyOf(customer, hour, ''))) continue;
    if (!isCustomerId(customer)) continue;
    compared.push({ key, customer, hour, type });
  }

  const expectedOf = (counts: typeof before, key: string, hour: number) =>
    Math.max(
      counts.warehouse.get(key) ?? 0,
      counts.archive.get(key) ?? 0,
      hour >= rollupsFrom ? (counts.rollups.get(key) ?? 0) : 0,
    );
  // Heal: the warehouse from the archive, the archive from the warehouse.
  const healed = new Map<string, number>();
  let rearchive = false;
  for (const { key, customer, hour, type } of compared) {
    const expected = expectedOf(before, key, hour);
    const inWarehouse = before.warehouse.get(key) ?? 0;
    const inArchive = before.archive.get(key) ?? 0;
    if (inWarehouse < expected && inArchive > inWarehouse) {
      const names = ARCHIVE_COLUMNS.map(([name]) => name).join(', ');
      const hourParams = { customer, type, hfrom: hour, hto: hour + HOUR };
      const hourWhere = `customer_id = {customer:String} AND event_type = {type:String}
        AND timestamp >= fromUnixTimestamp64Milli({hfrom:Int64}, 'UTC')
        AND timestamp < fromUnixTimestamp64Milli({hto:Int64}, 'UTC')`;
      await client.command({
        query: `INSERT INTO ${database}.events (${names})
          SELECT ${names} FROM ${archivedHour(options.store, customer, hour)}
          WHERE ${hourWhere} AND event_id NOT IN (
            SELECT event_id FROM ${database}.events WHERE ${hourWhere})`,
        query_params: hourParams,
        clickhouse_settings: { insert_deduplicate: 0 },
      });
      healed.set(key, expected - inWarehouse);
    }
    if (inArchive < (before.warehouse.get(key) ?? 0)) {
      await client.command({
        query: `INSERT INTO ${database}.archive_hours (customer_id, hour, marked_at)
          VALUES ({customer:String}, toDateTime({hour:Int64} / 1000, 'UTC'), now64(3, 'UTC'))`,
        query_params: { customer, hour },
      });
      rearchive = true;
    }
  }
  if (rearchive) {
    await archiveClosedHours(client, database, {
      store: options.store,
      now: options.now,
      watermarkLagMs: 0,
    });
  }

  const after = healed.size || rearchive ? await count() : before;
  const gaps: ReconcileGap[] = [];
  for (const { key, customer, hour, type } of compared) {
    const expected = expectedOf(before, key, hour);
    const warehouse = before.warehouse.get(key) ?? 0;
    const archive = before.archive.get(key) ?? 0;
    const rollups = hour >= rollupsFrom ? (before.rollups.get(key) ?? 0) : null;
    if (warehouse === expected && archive === expected) continue;
    const nowIn = Math.min(after.warehouse.get(key) ?? 0, after.archive.get(key) ?? 0);
    const missing = Math.max(0, expected - nowIn);
    gaps.push({
      customer_id: customer,
      hour: new Date(hour).toISOString(),
      event_type: type,
      expected,
      warehouse,
      archive,
      rollups,
      healed: healed.get(key) ?? 0,
      missing,
      alert: missing / expected > RECONCILE_ALERT_SHARE,
    });
  }
  gaps.sort((a, b) =>
    a.customer_id === b.customer_id
      ? a.hour === b.hour
        ? a.event_type.localeCompare(b.event_type)
        : a.hour.localeCompare(b.hour)
      : a.customer_id.localeCompare(b.customer_id),
  );
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    compared: compared.length,
    gaps,
    alert: gaps.some((gap) => gap.alert),
  };
}

/** Stores a run's gaps in `reconciliations` (the record of what was found and healed). */
export async function recordGaps(
  client: ClickHouseClient,
  database: string,
  at: number,
  gaps: readonly ReconcileGap[],
): Promise<void> {
  if (!gaps.length) return;
  await client.insert({
    table: `${database}.reconciliations`,
    values: gaps.map((gap) => ({
      at: new Date(at).toISOString().replace('T', ' ').replace('Z', ''),
      customer_id: gap.customer_id,
      hour: gap.hour.slice(0, 19).replace('T', ' '),
      event_type: gap.event_type,
      expected: gap.expected,
      warehouse: gap.warehouse,
      archive: gap.archive,
      rollups: gap.rollups,
      healed: gap.healed,
      missing: gap.missing,
      alert: gap.alert ? 1 : 0,
    })),
    format: 'JSONEachRow',
  });
}
