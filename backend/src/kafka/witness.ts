import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { EVENT_TYPES, type DeadLetter, type PulseEvent } from '@pulse/contract';
import { PARTITIONS_AT_ONCE, TOPICS } from './topics';
import { kafkaBrokers } from './brokers';
import { groupCommit } from '../processor/group-commit';
import { EVENT_RECORD, readRecord } from '../processor/quarantine';
import type { KafkaPosition, KafkaWitness } from '../warehouse/reconcile';
import type { Warehouse, WitnessedRecord } from '../warehouse/warehouse';
import { logError } from '../log';

/**
 * Kafka as a witness of the reconciliation (warehouse/reconcile.ts), in three parts:
 *
 * - `startWitness`: a consumer group of its own reads `pulse.events.*` and `pulse.dlq` and
 *   records each event record's customer, event_id, type, time and position in the warehouse's
 *   `kafka_witness` (and the position of each record the processor quarantined), committing
 *   its offsets after the rows are stored: at least once, and copies count once (event_id).
 * - `processed`: the processor group's committed offsets, the line before which the processor
 *   has acknowledged every record (its events are stored, or quarantined).
 * - `read`: the records at given positions, read back while Kafka keeps them, to heal a gap.
 */

const clientOf = (brokers: string[], clientId: string) =>
  new Kafka({
    clientId,
    ...kafkaBrokers(brokers),
    logLevel: logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5000 },
  });

/**
 * The witness's fetches. At 1K events/s it stored each partition's records on their own: 47
 * inserts a second, six times the processor's, whose parts and merges took most of chdb's
 * CPU beside the pipeline (`npm run bench latency`).
 */
const FETCH_MIN_BYTES = 1 << 20;
const FETCH_WAIT_MS = 1_000;

/** How long one `read` may take before it gives up with the positions it could not reach. */
const READ_TIMEOUT_MS = 120_000;
/** Offsets further apart than this are read with a seek rather than read through. */
const SEEK_GAP = 10_000n;

export interface Witness {
  /** Resolves once the consumer is in its group. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** Reads event records and dead letters into `kafka_witness` until stopped. */
export async function startWitness(options: {
  brokers: string[];
  warehouse: Pick<Warehouse, 'witness'>;
  /** @default `pulse-witness` */
  groupId?: string;
  onError?: (message: string, error: unknown) => void;
}): Promise<Witness> {
  const kafka = clientOf(options.brokers, 'pulse-witness');
  const consumer: Consumer = kafka.consumer({
    groupId: options.groupId ?? 'pulse-witness',
    // Nothing waits on the witness but the hourly reconciliation: the broker holds a fetch
    // until it has FETCH_MIN_BYTES or FETCH_WAIT_MS passed, so a slow stream is stored about
    // once a second instead of in a trickle of tiny inserts.
    minBytes: FETCH_MIN_BYTES,
    maxWaitTimeInMs: FETCH_WAIT_MS,
  });
  // The records of every partition batch handed in while an insert runs go in the next one:
  // a fetch's batches (a topic per event type, several partitions each) share one or two
  // inserts rather than one each. Each batch's offsets move only after its own rows are stored.
  const store = groupCommit<WitnessedRecord>((records) => options.warehouse.witness(records));
  await consumer.connect();
  await consumer.subscribe({
    topics: [...EVENT_TYPES.map(TOPICS.events), TOPICS.dlq],
    fromBeginning: true,
  });
  let resolveReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (resolveReady = resolve));
  consumer.on(consumer.events.GROUP_JOIN, () => resolveReady());
  consumer.on(consumer.events.CRASH, ({ payload }) =>
    (options.onError ?? logError)('the Kafka witness crashed', payload.error),
  );
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: PARTITIONS_AT_ONCE,
    eachBatch: async ({ batch, heartbeat }) => {
      const last = batch.messages.at(-1);
      if (!last) return;
      const records: WitnessedRecord[] = [];
      for (const message of batch.messages) {
        const text = message.value?.toString() ?? '';
        const record =
          batch.topic === TOPICS.dlq
            ? quarantinedRecord(text)
            : eventRecord(text, {
                topic: batch.topic,
                partition: batch.partition,
                offset: message.offset,
              });
        if (record) records.push(record);
      }
      await store(records);
      await consumer.commitOffsets([
        {
          topic: batch.topic,
          partition: batch.partition,
          offset: String(BigInt(last.offset) + 1n),
        },
      ]);
      await heartbeat();
    },
  });
  return { ready, stop: () => consumer.disconnect() };
}

/** An event record's row; a record that is not an event is the processor's to quarantine. */
function eventRecord(
  text: string,
  at: { topic: string; partition: number; offset: string },
): WitnessedRecord | null {
  const read = readRecord(EVENT_RECORD, text, null, at);
  if (!('value' in read)) return null;
  const { customer_id, event_id, event_type, timestamp } = read.value;
  return { customer_id, event_id, event_type, timestamp, ...at, quarantined: 0 };
}

/** The position of a record the processor quarantined; other dead letters are not events' records. */
function quarantinedRecord(text: string): WitnessedRecord | null {
  let letter: DeadLetter;
  try {
    letter = JSON.parse(text) as DeadLetter;
  } catch {
    return null;
  }
  const source = letter?.source;
  if (letter?.code !== 'quarantined' || !source || !/^\d+$/.test(String(source.offset))) {
    return null;
  }
  return {
    customer_id: String(letter.customer_id ?? ''),
    event_id: String(letter.event_id ?? ''),
    event_type: '',
    timestamp: Number.isFinite(Date.parse(letter.received_at))
      ? letter.received_at
      : new Date().toISOString(),
    topic: String(source.topic),
    partition: Number(source.partition) || 0,
    offset: String(source.offset),
    quarantined: 1,
  };
}

/** Kafka's side of the reconciliation for a processor group (`pulse-processor` by default). */
export function kafkaWitness(brokers: string[], processorGroup = 'pulse-processor'): KafkaWitness {
  return {
    async processed() {
      const admin = clientOf(brokers, 'pulse-reconcile').admin();
      await admin.connect();
      try {
        const topics = await admin.fetchOffsets({
          groupId: processorGroup,
          topics: EVENT_TYPES.map(TOPICS.events),
        });
        return topics.flatMap(({ topic, partitions }) =>
          partitions
            .filter((p) => /^\d+$/.test(p.offset))
            .map((p) => ({ topic, partition: p.partition, offset: p.offset })),
        );
      } finally {
        await admin.disconnect();
      }
    },
    read: (positions) => readAt(brokers, positions),
  };
}

/**
 * The events of the records at `positions`. Records Kafka no longer keeps (before a
 * partition's first offset) are skipped; the rest are read with one consumer of a group of
 * its own that seeks to each run of nearby offsets, and never commits.
 */
async function readAt(
  brokers: string[],
  positions: readonly KafkaPosition[],
): Promise<PulseEvent[]> {
  if (!positions.length) return [];
  const kafka = clientOf(brokers, 'pulse-reconcile');
  const asked = new Map<string, bigint[]>();
  for (const { topic, partition, offset } of positions) {
    const key = `${topic}/${partition}`;
    const offsets = asked.get(key) ?? [];
    if (!offsets.length) asked.set(key, offsets);
    offsets.push(BigInt(offset));
  }
  // What Kafka still keeps, in order: what retention deleted is gone for good.
  const wanted = new Map<string, bigint[]>();
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const topic of new Set(positions.map((p) => p.topic))) {
      for (const { partition, low, high } of await admin.fetchTopicOffsets(topic)) {
        const key = `${topic}/${partition}`;
        const kept = (asked.get(key) ?? []).filter((o) => o >= BigInt(low) && o < BigInt(high));
        if (kept.length)
          wanted.set(
            key,
            [...new Set(kept)].sort((a, b) => (a < b ? -1 : 1)),
          );
      }
    }
  } finally {
    await admin.disconnect();
  }
  if (!wanted.size) return [];

  const events: PulseEvent[] = [];
  const consumer = kafka.consumer({
    groupId: `pulse-reconcile-${randomUUID()}`,
    maxWaitTimeInMs: 100,
  });
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  /** Per partition, the index in its `wanted` offsets of the next one to read. */
  const next = new Map<string, number>();
  const seekTo = (key: string) => {
    const first = wanted.get(key)![next.get(key) ?? 0];
    const slash = key.lastIndexOf('/');
    consumer.seek({
      topic: key.slice(0, slash),
      partition: Number(key.slice(slash + 1)),
      offset: String(first),
    });
  };
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [...new Set(positions.map((p) => p.topic))] });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, isStale }) => {
        const key = `${batch.topic}/${batch.partition}`;
        for (const message of batch.messages) {
          if (isStale()) return;
          const offsets = wanted.get(key);
          if (!offsets) return;
          let at = next.get(key) ?? 0;
          const offset = BigInt(message.offset);
          // Offsets that are not records (transaction markers) are passed over.
          while (at < offsets.length && offsets[at]! < offset) at++;
          if (offsets[at] === offset) {
            at++;
            const read = readRecord(EVENT_RECORD, message.value?.toString() ?? '', null, {
              topic: batch.topic,
              partition: batch.partition,
              offset: message.offset,
            });
            if ('value' in read) events.push(read.value);
          }
          next.set(key, at);
          if (at === offsets.length) {
            wanted.delete(key);
            if (!wanted.size) finish();
            return;
          }
          if (offsets[at]! - offset > SEEK_GAP) {
            seekTo(key);
            return;
          }
        }
      },
    });
    for (const key of wanted.keys()) seekTo(key);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `reading ${[...wanted].reduce((n, [key, offsets]) => n + offsets.length - (next.get(key) ?? 0), 0)} records back from Kafka took over ${READ_TIMEOUT_MS} ms`,
            ),
          ),
        READ_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([done, timeout]);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await consumer.disconnect();
  }
  return events;
}
