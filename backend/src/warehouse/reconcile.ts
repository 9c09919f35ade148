import type { ClickHouseClient } from '@clickhouse/client';
import { isCustomerId, type PulseEvent } from '@pulse/contract';
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
/** Most events one run copies back from Kafka; the rest wait for the next run. */
export const KAFKA_HEAL_LIMIT = 100_000;

/** Where a record sits in Kafka (`offset` as Kafka's clients give it, a decimal string). */
export interface KafkaPosition {
  topic: string;
  partition: number;
  offset: string;
}

/**
 * Kafka as the reconciliation's first witness (kafka/witness.ts). `kafka_witness` holds every
 * event record of `pulse.events.*` with its position; the records before the processor's
 * committed offsets were handed to the processor and acknowledged by it, so the warehouse must
 * hold their events. What it lacks is read back from Kafka while Kafka keeps the records.
 */
export interface KafkaWitness {
  /** The processor group's committed offset of each event topic partition. */
  processed(): Promise<KafkaPosition[]>;
  /** The events of the records at `positions` that Kafka still keeps (retention). */
  read(positions: readonly KafkaPosition[]): Promise<PulseEvent[]>;
}

/** One customer hour and event type whose three counts disagreed. */
export interface ReconcileGap {
  customer_id: string;
  /** Start of the hour (ISO 8601, UTC). */
  hour: string;
  event_type: string;
  /** The most any source counted: what should be there. */
  expected: number;
  /**
   * Distinct events in the warehouse, the archive, the per-minute rollups and Kafka (those the
   * processor acknowledged), before healing.
   */
  warehouse: number;
  archive: number;
  /** null for an hour older than the rollups keep. */
  rollups: number | null;
  /** null without Kafka (the embedded default). */
  kafka: number | null;
  /** Events copied back into the warehouse, from the archive or from Kafka. */
  healed: number;
  /** Of `healed`, those read back from Kafka. */
  healed_from_kafka: number;
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
  /** Healing from Kafka that failed (a customer hour's read or write), each named; the run went on. */
  errors: string[];
}

type Counts = Map<string, number>;
const keyOf = (customer: string, hourMs: number, type: string) => `${customer}|${hourMs}|${type}`;

/**
 * The batch path's reconciliation for the closed, archived hours of [from, to): per customer,
 * hour and event type, the distinct events the warehouse holds, the archive holds, the
 * per-minute rollups counted (the rollups are written by the same insert as the events, keep
 * 24 hours and hold no ids: a witness that a deletion in the warehouse does not touch) and,
 * with `kafka`, that Kafka handed to the processor (the one witness the processor cannot lose).
 *
 * - The warehouse lacks events the archive has: they are copied back from the hour's file
 *   (`healed`). The insert goes through the tables' views, which count nothing twice.
 * - The warehouse lacks events Kafka witnessed that the archive cannot give: they are read
 *   back from Kafka (at most KAFKA_HEAL_LIMIT a run) and written like the processor writes them
 *   (`healed_from_kafka`); records Kafka no longer keeps stay missing.
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
  options: {
    store: FileStore;
    from: number;
    to: number;
    now: number;
    /** Kafka's witness, and how healed events are written (the warehouse's own writer). */
    kafka?: KafkaWitness & { write(events: PulseEvent[]): Promise<void> };
  },
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
      errors: [],
    };
  // Records before these offsets were acknowledged by the processor (`topic/partition`).
  const processed = options.kafka ? await options.kafka.processed() : [];
  const params = {
    from,
    to,
    partitions: processed.map((p) => `${p.topic}/${p.partition}`),
    offsets: processed.map((p) => p.offset),
  };
  // Acknowledged by the processor, and not quarantined by it (pulse.dlq: redrive's to send).
  const acknowledged = `quarantined = 0 AND offset < toUInt64OrZero(arrayElement({offsets:Array(String)},
      indexOf({partitions:Array(String)}, concat(topic, '/', toString(partition)))))
    AND (topic, partition, offset) NOT IN (
      SELECT topic, partition, offset FROM ${database}.kafka_witness WHERE quarantined = 1)`;
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
  const perHour = (table: string, count: string, time: string, where = 'true') =>
    `SELECT customer_id AS c, toUnixTimestamp(toStartOfHour(${time})) AS h, event_type AS t,
        ${count} AS n FROM ${table} WHERE ${inRange(time)} AND ${where} GROUP BY c, h, t`;
  const count = async () => {
    const [kafka, warehouse, archive, rollups, pending] = await Promise.all([
      options.kafka
        ? rows(
            perHour(`${database}.kafka_witness`, 'uniqExact(event_id)', 'timestamp', acknowledged),
          )
        : new Map<string, number>(),
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
    return { kafka, warehouse, archive, rollups, pending };
  };

  const before = await count();
  const rollupsFrom = options.now - ROLLUP_HOURS * HOUR;
  const keys = new Set([
    ...before.warehouse.keys(),
    ...before.archive.keys(),
    ...before.kafka.keys(),
  ]);
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
      counts.kafka.get(key) ?? 0,
    );
  // Heal: the warehouse from the archive, then from Kafka; the archive from the warehouse.
  const healed = new Map<string, number>();
  const fromKafka = new Map<string, number>();
  let kafkaBudget = KAFKA_HEAL_LIMIT;
  const errors: string[] = [];
  let rearchive = false;
  const hourWhere = `customer_id = {customer:String} AND event_type = {type:String}
    AND timestamp >= fromUnixTimestamp64Milli({hfrom:Int64}, 'UTC')
    AND timestamp < fromUnixTimestamp64Milli({hto:Int64}, 'UTC')`;
  /** Distinct events the warehouse holds of one customer hour and type now. */
  const countHour = async (hourParams: Record<string, unknown>) => {
    const result = await client.query({
      query: `SELECT uniqExact(event_id) AS n FROM ${database}.events WHERE ${hourWhere}`,
      query_params: hourParams,
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ n: string }>();
    return Number(row?.n ?? 0);
  };
  const names = ARCHIVE_COLUMNS.map(([name]) => name).join(', ');
  for (const { key, customer, hour, type } of compared) {
    const expected = expectedOf(before, key, hour);
    const inWarehouse = before.warehouse.get(key) ?? 0;
    const inArchive = before.archive.get(key) ?? 0;
    const hourParams = { customer, type, hfrom: hour, hto: hour + HOUR };
    let nowInWarehouse = inWarehouse;
    if (inWarehouse < expected && inArchive > inWarehouse) {
      await client.command({
        query: `INSERT INTO ${database}.events (${names})
          SELECT ${names} FROM ${archivedHour(options.store, customer, hour)}
          WHERE ${hourWhere} AND event_id NOT IN (
            SELECT event_id FROM ${database}.events WHERE ${hourWhere})`,
        query_params: hourParams,
        clickhouse_settings: { insert_deduplicate: 0 },
      });
      nowInWarehouse = await countHour(hourParams);
    }
    const kafka = options.kafka;
    if (kafka && kafkaBudget > 0 && nowInWarehouse < (before.kafka.get(key) ?? 0)) {
      // Acknowledged records whose events the warehouse lacks, every copy's position: a copy
      // Kafka no longer keeps may have a later one it does.
      const result = await client.query({
        query: `SELECT topic, partition, toString(offset) AS at
          FROM ${database}.kafka_witness
          WHERE ${hourWhere} AND ${acknowledged} AND event_id NOT IN (
            SELECT event_id FROM ${database}.events WHERE ${hourWhere})
          ORDER BY topic, partition, offset LIMIT {limit:UInt32}`,
        query_params: { ...params, ...hourParams, limit: kafkaBudget },
        format: 'JSONEachRow',
      });
      const positions = (await result.json<{ topic: string; partition: number; at: string }>()).map(
        ({ topic, partition, at }) => ({ topic, partition, offset: at }),
      );
      kafkaBudget -= positions.length;
      try {
        const seen = new Set<string>();
        const events = (await kafka.read(positions)).filter((event) => {
          if (event.customer_id !== customer || event.event_type !== type) return false;
          if (seen.has(event.event_id)) return false;
          seen.add(event.event_id);
          return true;
        });
        if (events.length) {
          await kafka.write(events);
          const healedNow = await countHour(hourParams);
          fromKafka.set(key, healedNow - nowInWarehouse);
          nowInWarehouse = healedNow;
        }
      } catch (error) {
        // Left missing (and alerting): one hour's failure stops no other hour's healing.
        const at = `${customer} ${new Date(hour).toISOString()} ${type}`;
        errors.push(`healing ${at} from Kafka failed: ${String(error).slice(0, 500)}`);
      }
    }
    if (nowInWarehouse > inWarehouse) healed.set(key, nowInWarehouse - inWarehouse);
    if (inArchive < nowInWarehouse) {
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
    const kafka = options.kafka ? (before.kafka.get(key) ?? 0) : null;
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
      kafka,
      healed: healed.get(key) ?? 0,
      healed_from_kafka: fromKafka.get(key) ?? 0,
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
    errors,
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
      kafka: gap.kafka,
      healed: gap.healed,
      healed_from_kafka: gap.healed_from_kafka,
      missing: gap.missing,
      alert: gap.alert ? 1 : 0,
    })),
    format: 'JSONEachRow',
  });
}
