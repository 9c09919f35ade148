import type { IdentityLink, MinuteRollup, PulseEvent, SegmentChange } from '@pulse/contract';
import type { EventFilter } from './event-history';
import type { DayExport, ExportFormat } from './event-export';
import type { ArchiveRun } from './event-archive';
import type { KafkaWitness, ReconcileReport } from './reconcile';
import type { FileStore } from './file-store';

export type { EventFilter } from './event-history';

/** What one processed batch leaves in the warehouse. */
/**
 * An event record of `pulse.events.*` as the Kafka witness saw it (`quarantined` 0), or the
 * position of one the processor quarantined to `pulse.dlq` (`quarantined` 1).
 */
export interface WitnessedRecord {
  customer_id: string;
  event_id: string;
  /** Empty for a quarantined record. */
  event_type: string;
  /** Event time, ISO 8601 (for a quarantined record, when it was quarantined). */
  timestamp: string;
  topic: string;
  partition: number;
  offset: string;
  quarantined: 0 | 1;
}

export interface WarehouseBatch {
  events: PulseEvent[];
  links: IdentityLink[];
  changes: SegmentChange[];
}

/**
 * The ClickHouse warehouse: chdb in-process (data on disk) by default, a ClickHouse server
 * when a URL is given; one SQL dialect, one client (`@clickhouse/client`).
 *
 * Every write is idempotent: writing the same batch again (a replay after a crash) changes
 * no count that `rollups`, `eventCount` or the dashboards read.
 */
export interface Warehouse {
  /** Resolves once the whole batch is durable (readable after a crash and restart). */
  write(batch: WarehouseBatch): Promise<void>;
  /** Per-minute rollups of a customer for minutes starting in [from, to), oldest first. */
  rollups(customerId: string, from: Date, to: Date): Promise<MinuteRollup[]>;
  /** Distinct event_ids of a customer with event time in [from, to) (all time when omitted). */
  eventCount(customerId: string, from?: Date, to?: Date): Promise<number>;
  /** A customer's identity links, deduplicated, ordered by (at, source_id). */
  identities(customerId: string): Promise<IdentityLink[]>;
  /** A customer's segment changes, deduplicated, ordered by (at, segment_id, id, change). */
  segmentChanges(customerId: string): Promise<SegmentChange[]>;
  /**
   * A customer's events with event time `>= from` (and the filter), each once, oldest first
   * (by timestamp, then event_id), a page at a time: what a new segment is backfilled from.
   */
  eventsSince(customerId: string, from: Date, filter?: EventFilter): AsyncIterable<PulseEvent[]>;
  /** Distinct events of a customer sent under any of `ids` (as visitor_id or user_id). */
  profileEventCount(customerId: string, ids: readonly string[]): Promise<number>;
  /**
   * Deletes a profile: the events sent under any of `ids`, the identity links from or to them
   * and their segment changes; resolves with the number of events deleted, once no read sees
   * them. Per-minute rollups keep their counts (they hold no ids; see `deleteProfileRows`).
   * The days it touched are written again by the scheduled export (`exportsDue`), as of `now`.
   */
  deleteProfile(customerId: string, ids: readonly string[], now?: number): Promise<number>;
  /**
   * Writes one UTC day of a customer's events as files in `to` (event-export.ts), after the
   * writes in flight, and records it; the same events give the same bytes however often it
   * runs. `now` (the wall clock by default) says which events the export covers.
   */
  exportDay(
    customerId: string,
    day: string,
    to: FileStore,
    formats: readonly ExportFormat[],
    now?: number,
  ): Promise<DayExport>;
  /**
   * The days a customer's scheduled export to `to` should write at `now` (event-export.ts):
   * closed days of the warm tier with events no export of that day to `to` covers yet.
   */
  exportsDue(customerId: string, to: FileStore, now?: number): Promise<string[]>;
  /**
   * Where the cold tier's files are (event-archive.ts), or null when there is no archive: then
   * the warehouse holds what it keeps (7 days with the TTL) and nothing older.
   */
  readonly archiveStore: FileStore | null;
  /**
   * Archives every hour that closed (ended `latenessMs` before `now`) and got events since
   * the last run, after the writes in flight; rejects without an archive directory.
   */
  archive(
    now?: number,
    options?: { latenessMs?: number; watermarkLagMs?: number },
  ): Promise<ArchiveRun>;
  /**
   * Compares the closed, archived hours of [from, to) (within the warm tier) across the
   * warehouse, the archive, the rollups and, with `kafka`, what Kafka handed to the processor;
   * heals what one of them still has, records every gap in `reconciliations` and says what is
   * still missing (reconcile.ts).
   */
  reconcile(from: number, to: number, now?: number, kafka?: KafkaWitness): Promise<ReconcileReport>;
  /** Records what the Kafka witness read (kafka/witness.ts): one row per event record. */
  witness(records: readonly WitnessedRecord[]): Promise<void>;
  /** Read-only SQL for the query APIs, with `{name:Type}` parameters. */
  query<T>(sql: string, params?: Record<string, unknown>): Promise<T[]>;
  /** Schema version after migrations. */
  readonly schemaVersion: number;
  close(): Promise<void>;
}

export interface WarehouseOptions {
  /** `http://user:pass@host:8123/db` of a ClickHouse server; chdb when absent. */
  url?: string;
  /** Directory of the chdb data (default `.pulse/warehouse`). */
  path?: string;
  /** Database name (default `pulse`). */
  database?: string;
  /**
   * Retention TTLs on (7 days of events, 24 h of rollups, from event time). `false` keeps
   * every row, for tests and demos that replay old data; the choice is stored on the tables
   * and holds until a later open says otherwise.
   * @default true
   */
  ttl?: boolean;
  /**
   * The cold tier's file store (file-store.ts): hourly Parquet files of every event, kept past
   * the TTL and read by queries over older ranges. A directory works with chdb only (with a
   * ClickHouse server it would be on the server's disk); a bucket with both.
   */
  archive?: FileStore;
}
