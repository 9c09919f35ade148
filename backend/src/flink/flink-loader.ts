import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import {
  EVENT_TYPES,
  type DeadLetter,
  type DefinitionAck,
  type IdentityLink,
  type MemberEnd,
  type PulseEvent,
  type SegmentChange,
} from '@pulse/contract';
import { readCommittedCorrectly } from '../kafka/committed-reads';
import { kafkaBrokers } from '../kafka/brokers';
import { PARTITIONS_AT_ONCE, TOPICS } from '../kafka/topics';
import { log, logError } from '../log';
import type { KafkaConsumerStatus } from '../processor/kafka-processor';
import type { ProcessedBatch } from '../processor/processor';
import { groupCommitIsolating, isolatePoison } from '../processor/isolate-poison';
import {
  EVENT_RECORD,
  failureReason,
  quarantined,
  readRecord,
  sendDeadLetters,
  type RecordShape,
  type RecordSource,
} from '../processor/quarantine';
import { emptyStateChanges, type StateStore } from '../state/state-store';
import type { Warehouse } from '../warehouse/warehouse';
import { linkChanges } from './link-changes';
import { OUTPUT_RECORDS, OUTPUT_TOPICS } from './output-records';

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
  /** Each acknowledgement of a segment definition the job wrote (flink-definitions.ts). */
  onDefinitionApplied?: (ack: DefinitionAck) => void;
}

export interface FlinkLoader {
  ready: Promise<void>;
  /**
   * Resolves once the warehouse holds every event record written to Kafka before the call (the
   * group's committed offsets reach the topics' ends), or rejects after `timeoutMs`.
   */
  eventsLoaded(timeoutMs: number): Promise<void>;
  status(): KafkaConsumerStatus;
  stop(): Promise<void>;
}

/** A record read from Kafka, with where it came from (for its dead letter, should it fail). */
interface Loadable<T> {
  value: T;
  text: string;
  key: string | null;
  source: RecordSource;
}

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
 * batch again with the same result. Poison never blocks a partition (docs/architecture.md,
 * "Kafka"): an output record of another shape (output-records.ts), or one whose load fails
 * deterministically (found by `isolatePoison`), goes to `pulse.dlq` with its reason before the
 * offsets move on; the records beside it are loaded. An outage is retried, never quarantined.
 * Event records that are not events are left out: Flink quarantined them itself.
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
  const groupId = options.groupId ?? 'pulse-flink-loader';
  const eventTopics = EVENT_TYPES.map(TOPICS.events);
  const admin = kafka.admin();
  const consumer: Consumer = kafka.consumer({
    groupId,
    maxWaitTimeInMs: 50,
    // Flink's sinks write in transactions: read what their checkpoints committed (and only
    // that: see kafka/committed-reads.ts).
    readUncommitted: false,
  });
  // Quarantined records are durable in pulse.dlq (acks=all) before their offsets move on.
  const dlq: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const status: KafkaConsumerStatus = {
    joined: false,
    lastCommitAt: 0,
    crashes: 0,
    quarantined: 0,
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

  // The events of partitions consumed at once share one warehouse write: each write is a part
  // written and synced, and one per partition's poll bounded the loader, as one per partition
  // would bound the processor (which group-commits the same way).
  const storeEvents = groupCommitIsolating<Loadable<PulseEvent>>(async (items) => {
    await warehouse.write({ events: items.map((item) => item.value), links: [], changes: [] });
  });
  const publishEvents = async (events: PulseEvent[]) => {
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
    // The poll's links in one commit, in record order: a user merged into another moves its
    // sources by later links, and its own set of sources is emptied when it is linked itself.
    // The links of one merge sit in other partitions, loaded in any order: an older `s → A`
    // loaded after `A → B` adds s to B's set, not A's (see linkChanges), so a merged user ends
    // with no set of its own, as the processor leaves it. One commit per link, awaited in
    // turn, cost a round trip per link.
    await store.commit(linkChanges(links));
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

  const quarantine = async (letters: DeadLetter[]) => {
    await sendDeadLetters(dlq, letters);
    status.quarantined += letters.length;
    for (const letter of letters) {
      log.warn(
        { customer_id: letter.customer_id, source: letter.source },
        `flink loader: quarantined a record to ${TOPICS.dlq}: ${letter.message}`,
      );
    }
  };

  const eventsLoaded = async (timeoutMs: number) => {
    const until = Date.now() + timeoutMs;
    const targets = (
      await Promise.all(
        eventTopics.map(async (topic) =>
          (await admin.fetchTopicOffsets(topic)).map((p) => ({
            topic,
            partition: p.partition,
            start: BigInt(p.low),
            end: BigInt(p.high),
          })),
        ),
      )
    ).flat();
    for (;;) {
      const committed = new Map<string, bigint>();
      for (const { topic, partitions } of await admin.fetchOffsets({
        groupId,
        topics: eventTopics,
      }))
        for (const p of partitions) committed.set(`${topic}/${p.partition}`, BigInt(p.offset));
      // Records retention removed are not there to load: a partition starts at its low mark.
      const behind = targets.filter((t) => {
        const at = committed.get(`${t.topic}/${t.partition}`) ?? -1n;
        return (at > t.start ? at : t.start) < t.end;
      });
      if (!behind.length) return;
      if (Date.now() > until) {
        const where = behind.map((t) => `${t.topic}/${t.partition}`).join(', ');
        throw new Error(
          `the loader did not reach the events' end within ${timeoutMs} ms: ${where}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  await Promise.all([consumer.connect(), dlq.connect(), admin.connect()]);
  await consumer.subscribe({
    topics: [...eventTopics, ...OUTPUT_TOPICS],
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
    // As for the processor's consumer: the more partitions' polls at once, the more of their
    // events share a warehouse write (storeEvents).
    partitionsConsumedConcurrently: PARTITIONS_AT_ONCE,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      const last = batch.messages.at(-1);
      if (!last) return;
      const { topic, partition } = batch;
      const letters: DeadLetter[] = [];
      const records = batch.messages.map((message) => ({
        text: message.value?.toString() ?? '',
        key: message.key?.toString() ?? null,
        source: { topic, partition, offset: message.offset },
      }));
      /** The records of an output topic that read; the others go to the dead letters. */
      const readAll = <T>(shape: RecordShape<T>) =>
        records.flatMap((record) => {
          const read = readRecord(shape, record.text, record.key, record.source);
          if ('quarantine' in read) letters.push(read.quarantine);
          return 'value' in read ? [{ ...record, value: read.value }] : [];
        });
      /** Loads them, and quarantines each one whose load fails deterministically alone. */
      const loadAll = async <T>(read: Array<Loadable<T>>, load: (values: T[]) => Promise<void>) => {
        if (!read.length) return;
        const poison = await isolatePoison(read, (part) => load(part.map((r) => r.value)));
        for (const { item, error } of poison) {
          letters.push(quarantined(item.text, item.key, item.source, failureReason(error)));
        }
      };
      if (topic === TOPICS.segments) {
        await loadAll(readAll(OUTPUT_RECORDS[TOPICS.segments]), loadChanges);
      } else if (topic === TOPICS.identity) {
        await loadAll(readAll(OUTPUT_RECORDS[TOPICS.identity]), loadLinks);
      } else if (topic === TOPICS.memberships) {
        await loadAll(readAll(OUTPUT_RECORDS[TOPICS.memberships]), loadEnds);
      } else if (topic === TOPICS.definitionsApplied) {
        for (const ack of readAll(OUTPUT_RECORDS[TOPICS.definitionsApplied]))
          options.onDefinitionApplied?.(ack.value);
      } else {
        // Flink quarantined the records that are not events itself: the warehouse leaves them out.
        const events = records.flatMap((record) => {
          const read = readRecord(EVENT_RECORD, record.text, record.key, record.source);
          return 'value' in read ? [{ ...record, value: read.value }] : [];
        });
        const poison = new Set<Loadable<PulseEvent>>();
        for (const { item, error } of await storeEvents(events)) {
          poison.add(item);
          letters.push(quarantined(item.text, item.key, item.source, failureReason(error)));
        }
        const stored = events.filter((event) => !poison.has(event));
        if (stored.length) await publishEvents(stored.map((event) => event.value));
      }
      await quarantine(letters);
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
    eventsLoaded,
    status: () => ({ ...status }),
    stop: async () => {
      await consumer.disconnect();
      await dlq.disconnect();
      await admin.disconnect();
    },
  };
}
