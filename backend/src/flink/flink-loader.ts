import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { z } from 'zod';
import {
  EVENT_TYPES,
  isCustomerId,
  isOpaqueId,
  type IdentityLink,
  type MemberEnd,
  type PulseEvent,
  type SegmentChange,
} from '@pulse/contract';
import { SEGMENT_ID_PATTERN } from '@pulse/contract/schema';
import { readCommittedCorrectly } from '../kafka/committed-reads';
import { kafkaBrokers } from '../kafka/brokers';
import { TOPICS } from '../kafka/topics';
import { log, logError } from '../log';
import type { KafkaConsumerStatus } from '../processor/kafka-processor';
import type { ProcessedBatch } from '../processor/processor';
import { readEventRecord } from '../processor/quarantine';
import { emptyStateChanges, type StateStore } from '../state/state-store';
import type { Warehouse } from '../warehouse/warehouse';

export interface FlinkLoaderOptions {
  brokers: string[];
  store: StateStore;
  warehouse: Warehouse;
  /** Its consumer group: the group whose offsets say what the warehouse holds. */
  groupId?: string;
  /**
   * Called with each batch of loaded changes, links or events before its offsets are committed
   * (live listeners, trigger deliveries): a crash before that loads and publishes it again.
   */
  publish?: (batch: ProcessedBatch) => Promise<void>;
  /** The consumer failed; see KafkaProcessorOptions.onCrash. */
  onCrash?: (error: Error, restarting: boolean) => void;
}

export interface FlinkLoader {
  ready: Promise<void>;
  status(): KafkaConsumerStatus & { skipped: number };
  stop(): Promise<void>;
}

const isoTime = z.string().refine((text) => Number.isFinite(Date.parse(text)), 'an ISO time');
// The contract's bounds, as every other reader of Kafka holds them: the job only writes what it
// validated, but these records go into store keys, so nothing unbounded passes.
const customerId = z.string().refine(isCustomerId, 'not a customer id');
const segmentId = z.string().regex(SEGMENT_ID_PATTERN, 'not a segment id');
const id = z.string().refine((value) => isOpaqueId(value), 'not an id');
const changeSchema = z.object({
  customer_id: customerId,
  segment_id: segmentId,
  id,
  change: z.enum(['enter', 'exit']),
  at: isoTime,
  reason: z.enum(['rule', 'window', 'merged', 'redefined']),
});
const linkSchema = z.object({
  customer_id: customerId,
  source_id: id,
  user_id: id,
  at: z.string(),
  event_id: z.string(),
});
const memberEndSchema = z.object({
  customer_id: customerId,
  segment_id: segmentId,
  id,
  until: isoTime.nullable(),
  clock: isoTime,
});

const OUTPUT_TOPICS = [TOPICS.segments, TOPICS.identity, TOPICS.memberships];

/**
 * Loads what the Flink engine produced into the state store and the warehouse, so the dashboard
 * API, the segment API, decide and triggers answer as they do when the TypeScript processor did
 * the work (backend/flink/README.md, "Loading the outputs"):
 *
 * - `pulse.events.*` → the warehouse's events (Flink reads the same records; it writes no
 *   events), so the rollups and dashboards are the warehouse's own;
 * - `pulse.identity` → links and sources in the state store, and the warehouse's links;
 * - `pulse.memberships` → memberships (with their ends) and the customer's clock;
 * - `pulse.segments` → the warehouse's changes, and `publish` (triggers, live dashboards).
 *
 * Every write is idempotent (events and changes by key, links and ends set to the record's
 * value, clocks only forward), and offsets are committed after the writes, so a crash loads a
 * batch again with the same result. A record of another shape is skipped and logged: Flink
 * already quarantined the records that are not events, and its outputs are its own.
 */
export async function startFlinkLoader(options: FlinkLoaderOptions): Promise<FlinkLoader> {
  const { store, warehouse } = options;
  readCommittedCorrectly();
  const kafka = new Kafka({
    clientId: 'pulse-flink-loader',
    ...kafkaBrokers(options.brokers),
    logLevel: logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5000 },
  });
  const consumer: Consumer = kafka.consumer({
    groupId: options.groupId ?? 'pulse-flink-loader',
    maxWaitTimeInMs: 50,
    // Flink's sinks write in transactions: read what their checkpoints committed (and only
    // that: see kafka/committed-reads.ts).
    readUncommitted: false,
  });
  const status: KafkaConsumerStatus & { skipped: number } = {
    joined: false,
    lastCommitAt: 0,
    crashes: 0,
    quarantined: 0,
    skipped: 0,
  };
  const publish = options.publish ?? (async () => undefined);
  const batchOf = (part: Partial<ProcessedBatch>): ProcessedBatch => ({
    events: 0,
    eventKeys: [],
    receivedAt: [],
    changes: [],
    links: [],
    ...part,
  });

  const loadEvents = async (events: PulseEvent[]) => {
    await warehouse.write({ events, links: [], changes: [] });
    await publish(
      batchOf({
        events: events.length,
        eventKeys: events.map((event) => `${event.customer_id}/${event.event_id}`),
        receivedAt: events.map((event) => Date.parse(event.received_at)),
      }),
    );
  };
  const loadLinks = async (links: IdentityLink[]) => {
    await warehouse.write({ events: [], links, changes: [] });
    // One commit per link, in record order: a user merged into another moves its sources by
    // later links, and its own set of sources is emptied when it is linked itself.
    for (const link of links) {
      const customer = link.customer_id;
      await store.commit({
        ...emptyStateChanges(),
        links: [{ customer, source: link.source_id, user: link.user_id }],
        sourcesCleared: [{ customer, user: link.source_id }],
        sourcesAdded: [{ customer, user: link.user_id, sources: [link.source_id] }],
      });
    }
    await publish(batchOf({ links }));
  };
  const loadEnds = async (ends: MemberEnd[]) => {
    await store.commit({
      ...emptyStateChanges(),
      // In record order: a profile's later end replaces its earlier one.
      members: ends.map((end) => ({
        customer: end.customer_id,
        segment: end.segment_id,
        id: end.id,
        end: end.until == null ? null : Date.parse(end.until),
      })),
      clocks: ends.map((end) => ({ customer: end.customer_id, at: Date.parse(end.clock) })),
    });
  };
  const loadChanges = async (changes: SegmentChange[]) => {
    await warehouse.write({ events: [], links: [], changes });
    await publish(batchOf({ changes }));
  };

  const skip = (where: string, reason: string) => {
    status.skipped += 1;
    log.warn({ source: where }, `flink loader: skipped ${where}: ${reason}`);
  };
  const parse = <T>(schema: z.ZodType<T>, text: string, where: string): T | undefined => {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      skip(where, 'not JSON');
      return undefined;
    }
    const parsed = schema.safeParse(json);
    if (parsed.success) return parsed.data;
    skip(where, parsed.error.issues[0]?.message ?? 'not of its topic’s shape');
    return undefined;
  };

  await consumer.connect();
  await consumer.subscribe({
    topics: [...EVENT_TYPES.map(TOPICS.events), ...OUTPUT_TOPICS],
    fromBeginning: true,
  });
  let resolveReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (resolveReady = resolve));
  consumer.on(consumer.events.GROUP_JOIN, () => {
    status.joined = true;
    resolveReady();
  });
  consumer.on(consumer.events.REBALANCING, () => (status.joined = false));
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    status.joined = false;
    status.crashes += 1;
    status.lastError = payload.error.message;
    (options.onCrash ?? ((error) => logError('flink loader crashed', error)))(
      payload.error,
      payload.restart,
    );
  });

  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 4,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      const last = batch.messages.at(-1);
      if (!last) return;
      const { topic, partition } = batch;
      const texts = batch.messages.map((message) => ({
        text: message.value?.toString() ?? '',
        key: message.key?.toString() ?? null,
        where: `${topic}/${partition}@${message.offset}`,
        offset: message.offset,
      }));
      const parsed = <T>(schema: z.ZodType<T>) =>
        texts.flatMap(({ text, where }) => parse(schema, text, where) ?? []);
      if (topic === TOPICS.segments) {
        const changes = parsed(changeSchema);
        if (changes.length) await loadChanges(changes);
      } else if (topic === TOPICS.identity) {
        const links = parsed(linkSchema);
        if (links.length) await loadLinks(links);
      } else if (topic === TOPICS.memberships) {
        const ends = parsed(memberEndSchema);
        if (ends.length) await loadEnds(ends);
      } else {
        const events = texts.flatMap(({ text, key, offset }) => {
          const read = readEventRecord(text, key, { topic, partition, offset });
          // Flink quarantined this record to pulse.dlq itself; the warehouse leaves it out.
          return 'event' in read ? [read.event] : [];
        });
        if (events.length) await loadEvents(events);
      }
      resolveOffset(last.offset);
      await consumer.commitOffsets([
        { topic, partition, offset: String(BigInt(last.offset) + 1n) },
      ]);
      status.lastCommitAt = Date.now();
      await heartbeat();
    },
  });

  return {
    ready,
    status: () => ({ ...status }),
    stop: () => consumer.disconnect(),
  };
}
