import { Kafka, logLevel, type Consumer } from 'kafkajs';
import type { PulseEvent, SinkBatch } from '@pulse/contract';
import { randomUUID } from 'node:crypto';

/** A valid PulseEvent for `customer`, with a fresh event_id unless given. */
export function pulseEvent(customer: string, overrides: Partial<PulseEvent> = {}): PulseEvent {
  const now = new Date().toISOString();
  return {
    event_id: randomUUID(),
    customer_id: customer,
    visitor_id: 'v-1',
    user_id: null,
    session_id: 's-1',
    event_type: 'page_view',
    event_name: 'pricing',
    properties: { url: '/pricing' },
    previous_id: null,
    context: { locale: 'en-US' },
    timestamp: now,
    original_timestamp: now,
    sent_at: now,
    received_at: now,
    ...overrides,
  };
}

export function sinkBatch(
  customer: string,
  n: number,
  overrides: Partial<PulseEvent> = {},
): SinkBatch {
  return {
    customer_id: customer,
    events: Array.from({ length: n }, () => pulseEvent(customer, overrides)),
    dead_letters: [],
  };
}

export interface ReadMessage {
  topic: string;
  key: string;
  value: Record<string, unknown>;
  headers: Record<string, string>;
}

/**
 * Reads `topics` from the beginning with a fresh consumer group until `done` or the time limit,
 * read_committed unless `readUncommitted`.
 */
export async function readTopics(
  brokers: string,
  topics: string[],
  done: (messages: ReadMessage[]) => boolean,
  timeoutMs = 30_000,
  readUncommitted = false,
): Promise<ReadMessage[]> {
  const kafka = new Kafka({
    clientId: 'pulse-test-reader',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
  });
  const consumer: Consumer = kafka.consumer({
    groupId: `reader-${randomUUID()}`,
    sessionTimeout: 10_000,
    readUncommitted,
  });
  const messages: ReadMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
      messages.push({
        topic,
        key: String(message.key),
        value: JSON.parse(String(message.value)) as Record<string, unknown>,
        headers,
      });
      if (done(messages)) finish();
    },
  });
  const timer = setTimeout(finish, timeoutMs);
  await finished;
  clearTimeout(timer);
  await consumer.disconnect();
  return messages;
}
