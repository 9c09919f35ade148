import type { ProfileDeletion } from '@pulse/contract';
import type { FlinkDefinitions } from '../flink/flink-definitions';
import type { BackendMetrics } from '../metrics/backend-metrics';
import type { Processor } from '../processor/processor';
import type { StateStore } from '../state/state-store';
import type { Warehouse } from '../warehouse/warehouse';
import type { FileStore } from '../warehouse/file-store';
import type { ExportDestinations } from '../config/export-destinations';
import type { LiveFeed } from './live-feed';
import type { SecretKeys } from './secret-keys';
import type { SegmentWriteQueue } from './segments/one-at-a-time';
import type { ProcessingHandoff } from './processing-handoff';

/** What the query APIs (GraphQL, Segment REST API, decide) are built from. */
export interface ApiContext {
  warehouse: Warehouse;
  store: StateStore;
  processor: Processor;
  keys: SecretKeys;
  live: LiveFeed;
  /** HMAC secret shared with the edge (ingest batches, decide calls). */
  ingestSecret: string;
  /** Trigger webhooks may name loopback and private hosts (development, tests). */
  allowPrivateWebhooks?: boolean;
  /** The wall clock (ms); tests pass their own. */
  now: () => number;
  /** The directory or bucket `POST /v1/exports` writes under. @default none: exports are off */
  exportTo?: FileStore;
  /** Customers' own export destinations, which `POST /v1/exports` writes to first. */
  exportDestinations?: ExportDestinations;
  /** Where the APIs report what operators watch (parity). @default none */
  metrics?: BackendMetrics;
  /**
   * Tells the processing engine that a profile was deleted, when the engine keeps state of its
   * own (the Flink job: `pulse.deletions`). @default none: the state store is the engine's state
   */
  announceDeletion?: (deletion: ProfileDeletion) => Promise<void>;
  /**
   * Set when the processing engine keeps segment definitions in its own state (the Flink job):
   * the segment API hands it each definition with its history instead of running the
   * TypeScript backfill. @default none: the state store is the engine's state
   */
  engineDefinitions?: FlinkDefinitions;
  /**
   * Runs a customer's segment writes one at a time: the segment API's, and the unfinished
   * ones the backend finishes beside them (segments/segment-writes.ts).
   * @default a queue of the segment API's own
   */
  segmentWrites?: SegmentWriteQueue;
  /**
   * Set where processes share the engine's state (Redis and Kafka): while this process does
   * not process (an ingest task, a standby processor), segment writes and profile deletions
   * are done by the one that does (processing-handoff.ts). @default none: this process processes
   */
  handoff?: ProcessingHandoff;
}
