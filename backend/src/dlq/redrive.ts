import { Kafka, logLevel } from 'kafkajs';
import type { DeadLetter, PulseEvent, SinkBatch } from '@pulse/contract';
import { pulseEventSchema } from '@pulse/contract/schema';
import { TOPICS } from '../kafka/topics';
import { kafkaBrokers } from '../kafka/brokers';

/** What one re-drive did. */
export interface RedriveResult {
  /** Quarantined events sent to their topic again (or to ingest, embedded). */
  redriven: number;
  /** Quarantined records that are still not events (not JSON, invalid): left where they are. */
  skipped: number;
}

/**
 * The event a quarantined dead letter holds, if it is one by today's contract. A record that
 * was not JSON, or not an event, stays in the dead letters: re-driving it would only
 * quarantine it again.
 */
export function quarantinedEvent(letter: DeadLetter): PulseEvent | undefined {
  if (letter.code !== 'quarantined') return undefined;
  let raw = letter.raw;
  if (typeof raw == 'string') {
    try {
      raw = JSON.parse(raw);
    } catch {
      return undefined;
    }
  }
  const parsed = pulseEventSchema.safeParse(raw);
  return parsed.success ? (parsed.data as PulseEvent) : undefined;
}

export interface KafkaRedriveOptions {
  brokers: string[];
  /**
   * The consumer group that remembers how far re-drives have read `pulse.dlq`, so a record is
   * sent again once, not at every run. @default 'pulse-redrive'
   */
  groupId?: string;
  /** Longest run (ms) before it gives up waiting for the end of `pulse.dlq`. @default 60000 */
  timeoutMs?: number;
}

/**
 * Sends the events quarantined in `pulse.dlq` (code `quarantined`) back to their
 * `pulse.events.<type>` topic, after the cause was fixed (docs/architecture.md, "Kafka"). Reads
 * up to the end `pulse.dlq` had when it started, then stops. Processing is idempotent on
 * event_id, so a record re-driven twice is still counted once.
 */
export async function redriveFromKafka(options: KafkaRedriveOptions): Promise<RedriveResult> {
  const kafka = new Kafka({
    clientId: 'pulse-redrive',
    ...kafkaBrokers(options.brokers),
    logLevel: logLevel.NOTHING,
  });
  const groupId = options.groupId ?? 'pulse-redrive';
  const admin = kafka.admin();
  await admin.connect();
  // Where each partition ends now, and where earlier re-drives stopped.
  const ends = new Map<number, bigint>();
  try {
    const [high, [committed]] = await Promise.all([
      admin.fetchTopicOffsets(TOPICS.dlq),
      admin.fetchOffsets({ groupId, topics: [TOPICS.dlq] }),
    ]);
    const done = new Map(committed?.partitions.map((p) => [p.partition, BigInt(p.offset)]));
    for (const { partition, offset, low } of high) {
      const from = done.get(partition) ?? -1n;
      const start = from < 0n ? BigInt(low) : from;
      if (BigInt(offset) > start) ends.set(partition, BigInt(offset));
    }
  } finally {
    await admin.disconnect();
  }
  const result: RedriveResult = { redriven: 0, skipped: 0 };
  if (!ends.size) return result;

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000 });
  await Promise.all([producer.connect(), consumer.connect()]);
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const timer = setTimeout(finish, options.timeoutMs ?? 60_000);
  try {
    await consumer.subscribe({ topics: [TOPICS.dlq], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const end = ends.get(partition);
        if (end === undefined || BigInt(message.offset) >= end) return;
        let letter: DeadLetter | undefined;
        try {
          letter = JSON.parse(message.value?.toString() ?? '') as DeadLetter;
        } catch {
          letter = undefined;
        }
        if (letter?.code === 'quarantined') {
          const event = quarantinedEvent(letter);
          if (!event) result.skipped++;
          else {
            await producer.send({
              topic: TOPICS.events(event.event_type),
              acks: -1,
              messages: [
                {
                  key: `${event.customer_id}:${event.visitor_id}`,
                  value: JSON.stringify(event),
                  headers: { event_id: event.event_id, customer_id: event.customer_id },
                },
              ],
            });
            result.redriven++;
          }
        }
        // Sent (acks=all) before the offset moves: a crash re-drives it again, harmlessly.
        if (BigInt(message.offset) + 1n >= end) {
          ends.delete(partition);
          if (!ends.size) finish();
        }
      },
    });
    await finished;
    if (ends.size) throw new Error(`pulse.dlq was not read to its end within the time limit`);
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
    await producer.disconnect();
  }
  return result;
}

/**
 * The embedded default's re-drive: the quarantined events of the dead-letter log, grouped by
 * customer as the batches `write` takes (the embedded ingest's sink, or a signed POST to it).
 */
export function quarantinedBatches(batches: readonly SinkBatch[]): {
  batches: SinkBatch[];
  skipped: number;
} {
  const byCustomer = new Map<string, PulseEvent[]>();
  let skipped = 0;
  for (const letter of batches.flatMap((batch) => batch.dead_letters)) {
    if (letter.code !== 'quarantined') continue;
    const event = quarantinedEvent(letter);
    if (!event) {
      skipped++;
      continue;
    }
    const events = byCustomer.get(event.customer_id) ?? [];
    events.push(event);
    byCustomer.set(event.customer_id, events);
  }
  return {
    batches: [...byCustomer].map(([customer_id, events]) => ({
      customer_id,
      events,
      dead_letters: [],
    })),
    skipped,
  };
}
