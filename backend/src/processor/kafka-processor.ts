import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { EVENT_TYPES, traceIdOf, type DeadLetter, type PulseEvent } from '@pulse/contract';
import { PARTITIONS_AT_ONCE, TOPICS } from '../kafka/topics';
import { groupCommitIsolating } from './isolate-poison';
import type { Processor } from './processor';
import {
  EVENT_RECORD,
  failureReason,
  quarantined,
  readRecord,
  sendDeadLetters,
} from './quarantine';
import { log, logError } from '../log';
import { kafkaBrokers } from '../kafka/brokers';
import { createTracing, type Tracing } from '../tracing/tracing';
import { LeaseLostError, type ProcessorLease } from './processor-lease';

export interface KafkaProcessorOptions {
  brokers: string[];
  processor: Processor;
  groupId?: string;
  clientId?: string;
  /** Partitions whose batches are merged into one processor batch. @default PARTITIONS_AT_ONCE */
  concurrency?: number;
  /**
   * How long the group waits for a silent member before handing its partitions to others; a
   * processor killed with -9 holds its partitions this long. @default 30000
   */
  sessionTimeoutMs?: number;
  /**
   * A record was quarantined to `pulse.dlq` (not an event, or failing deterministically), after
   * it was durable there and before its offset is committed. @default reportQuarantine (a warn line)
   */
  onQuarantine?: (letter: DeadLetter) => void;
  /** Further tries of a batch that fails deterministically before it is split. @default 2 */
  poisonRetries?: number;
  /**
   * The consumer failed (a batch kept failing, the group could not be joined). kafkajs
   * restarts it when it can (`restarting`); when it cannot, nothing more is consumed and the
   * process should exit so that its supervisor starts it again.
   */
  onCrash?: (error: Error, restarting: boolean) => void;
  /** After each batch: messages left behind the end of its partition (metrics). */
  onLag?: (topic: string, partition: number, lag: number) => void;
  /** A `pulse.process` span per trace in each batch (tracing/tracing.ts). @default none */
  tracing?: Tracing;
  /**
   * Makes a lease (processor-lease.ts), the right to process: the consumer joins the group
   * only once the lease is held, processes no batch while `held()` is false, and leaves the
   * group when it is lost, to wait for a new lease as a standby. @default none: always leads
   */
  lease?: () => ProcessorLease;
}

export interface KafkaConsumerStatus {
  /** In the group with partitions assigned (false while rebalancing or after a crash). */
  joined: boolean;
  /** When the last batch was committed (ms), 0 before the first. */
  lastCommitAt: number;
  crashes: number;
  lastError?: string;
  /** Records moved to `pulse.dlq` since the start. */
  quarantined: number;
  /** Waiting for the processor lease, which another process holds. */
  standby?: boolean;
}

/** What `runKafkaProcessor` is handed: one lease at most, the one it runs under. */
type RunOptions = Omit<KafkaProcessorOptions, 'lease'> & { lease?: ProcessorLease };

export interface KafkaProcessor {
  /** Resolves when the consumer has joined the group and started fetching. */
  ready: Promise<void>;
  status(): KafkaConsumerStatus;
  stop(): Promise<void>;
}

/** The default report of a quarantined record: one log line naming where it was and why. */
export function reportQuarantine(letter: DeadLetter): void {
  log.warn(
    { customer: letter.customer_id, event_id: letter.event_id, source: letter.source },
    `processor: quarantined ${letter.source?.topic}/${letter.source?.partition}@${letter.source?.offset} to ${TOPICS.dlq}: ${letter.message}`,
  );
}

/**
 * Consumes `pulse.events.*` in a consumer group and feeds the processor. Offsets are
 * committed only after the processor's batch is in the warehouse and the state store, so a
 * crash replays what was not yet durable, and the processor's idempotence absorbs the replay.
 *
 * With a lease it answers at once, as a standby, and starts consuming once it leads. When the
 * lease is lost (Redis was out of reach for longer than the lease) it leaves the group and
 * waits for a new one. `stop` leaves the group before it gives the lease up, so the next
 * leader starts after this one's last batch.
 */
export async function startKafkaProcessor(options: KafkaProcessorOptions): Promise<KafkaProcessor> {
  const newLease = options.lease;
  if (!newLease) return runKafkaProcessor({ ...options, lease: undefined });
  let stopping = false;
  let lease = newLease();
  let running: KafkaProcessor | undefined;
  let resolveReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (resolveReady = resolve));
  const cycle = async () => {
    for (;;) {
      await lease.acquired;
      log.info({ lease: lease.token }, 'processor: holds the lease, joining the consumer group');
      running = await runKafkaProcessor({ ...options, lease });
      void running.ready.then(resolveReady);
      await lease.ended;
      await running.stop();
      running = undefined;
      if (stopping) return;
      lease = newLease();
    }
  };
  const cycling = cycle();
  cycling.catch((error: unknown) => {
    if (!stopping) options.onCrash?.(error as Error, false);
  });
  return {
    ready,
    status: () =>
      running?.status() ?? {
        joined: false,
        lastCommitAt: 0,
        crashes: 0,
        quarantined: 0,
        standby: true,
      },
    stop: async () => {
      stopping = true;
      // A leader leaves the group first; then the lease goes, and a standby may start.
      const leader = running;
      running = undefined;
      await leader?.stop();
      await lease.release();
      await cycling.catch(() => undefined);
    },
  };
}

async function runKafkaProcessor(options: RunOptions): Promise<KafkaProcessor> {
  const kafka = new Kafka({
    clientId: options.clientId ?? 'pulse-processor',
    ...kafkaBrokers(options.brokers),
    logLevel: logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5000 },
  });
  const consumer: Consumer = kafka.consumer({
    groupId: options.groupId ?? 'pulse-processor',
    sessionTimeout: options.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: Math.min(3_000, (options.sessionTimeoutMs ?? 30_000) / 3),
    maxWaitTimeInMs: 50,
  });
  const { lease } = options;
  const submit = groupCommitIsolating<PulseEvent>(
    async (events) => {
      if (lease && !lease.held()) {
        throw new LeaseLostError(
          `processor lease not held (${lease.state()}): batch not processed`,
        );
      }
      await options.processor.process(events);
    },
    { retries: options.poisonRetries },
  );
  // Quarantined records are durable in pulse.dlq (acks=all) before their offsets move on.
  const dlq: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const report = options.onQuarantine ?? reportQuarantine;
  const tracing = options.tracing ?? createTracing({ serviceName: 'pulse-processor' });
  const quarantine = async (letters: DeadLetter[]) => {
    await sendDeadLetters(dlq, letters);
    status.quarantined += letters.length;
    letters.forEach(report);
  };

  await Promise.all([consumer.connect(), dlq.connect()]);
  await consumer.subscribe({ topics: EVENT_TYPES.map(TOPICS.events), fromBeginning: true });
  let resolveReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (resolveReady = resolve));
  const status: KafkaConsumerStatus = {
    joined: false,
    lastCommitAt: 0,
    crashes: 0,
    quarantined: 0,
  };
  consumer.on(consumer.events.GROUP_JOIN, () => {
    status.joined = true;
    resolveReady();
  });
  consumer.on(consumer.events.REBALANCING, () => (status.joined = false));
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) =>
    options.onLag?.(payload.topic, payload.partition, Number(payload.offsetLag)),
  );
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    status.joined = false;
    status.crashes += 1;
    status.lastError = payload.error.message;
    (options.onCrash ?? ((error) => logError('kafka consumer crashed', error)))(
      payload.error,
      payload.restart,
    );
  });

  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: options.concurrency ?? PARTITIONS_AT_ONCE,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      const last = batch.messages.at(-1);
      if (!last) return;
      const events: PulseEvent[] = [];
      const sources = new Map<PulseEvent, { key: string | null; offset: string }>();
      const letters: DeadLetter[] = [];
      // The valid traceparents of the batch: each opens a span, and their trace ids are logged.
      const parents = new Set<string>();
      for (const message of batch.messages) {
        const traceparent = message.headers?.traceparent?.toString();
        if (traceparent && traceIdOf(traceparent)) parents.add(traceparent);
        const key = message.key?.toString() ?? null;
        const source = { topic: batch.topic, partition: batch.partition, offset: message.offset };
        const read = readRecord(EVENT_RECORD, message.value?.toString() ?? '', key, source);
        if ('quarantine' in read) {
          letters.push(read.quarantine);
          continue;
        }
        events.push(read.value);
        sources.set(read.value, { key, offset: message.offset });
      }
      const attributes = {
        'messaging.destination.name': batch.topic,
        'messaging.destination.partition.id': String(batch.partition),
        'messaging.batch.message_count': batch.messages.length,
      };
      await tracing.inBatchSpans('pulse.process', parents, attributes, async () => {
        for (const { item, error } of await submit(events)) {
          const at = sources.get(item);
          const offset = at?.offset ?? '';
          const source = { topic: batch.topic, partition: batch.partition, offset };
          letters.push(quarantined(item, at?.key ?? null, source, failureReason(error)));
        }
        await quarantine(letters);
        resolveOffset(last.offset);
        await consumer.commitOffsets([
          {
            topic: batch.topic,
            partition: batch.partition,
            offset: String(BigInt(last.offset) + 1n),
          },
        ]);
      });
      status.lastCommitAt = Date.now();
      log.debug(
        {
          topic: batch.topic,
          partition: batch.partition,
          offset: last.offset,
          events: events.length,
          quarantined: letters.length,
          trace_ids: [...new Set([...parents].map(traceIdOf))],
        },
        'processor: batch committed',
      );
      await heartbeat();
    },
  });

  return {
    ready,
    status: () => ({ ...status }),
    stop: async () => {
      await consumer.disconnect();
      await dlq.disconnect();
    },
  };
}
