import {
  CompressionTypes,
  Kafka,
  logLevel,
  type Message,
  type Producer,
  type TopicMessages,
} from 'kafkajs';
import type { Sink, SinkBatch } from '@pulse/contract';
import { TOPICS } from '../kafka/topics';
import { SinkUnavailableError } from './sink-error';

export interface KafkaSinkOptions {
  brokers: string[];
  clientId?: string;
  /** Longest wait for Kafka's acknowledgement before the write fails (the edge answers 503). */
  timeoutMs?: number;
  compression?: 'none' | 'gzip';
}

export interface KafkaSink extends Sink {
  close(): Promise<void>;
}

/**
 * Writes batches to Kafka: idempotent producer, acks=all, a topic per event type, key
 * `customer_id:visitor_id` (per-visitor order), dead letters to `pulse.dlq`. `write` resolves
 * only when Kafka acknowledged every message of the batch.
 */
export function createKafkaSink(options: KafkaSinkOptions): KafkaSink {
  const timeout = options.timeoutMs ?? 10_000;
  const kafka = new Kafka({
    clientId: options.clientId ?? 'pulse-ingest',
    brokers: options.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: timeout,
    retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 2000 },
  });
  let producer: Producer | undefined;
  let connecting: Promise<Producer> | undefined;

  const connected = (): Promise<Producer> => {
    if (producer) return Promise.resolve(producer);
    connecting ??= (async () => {
      const p = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
      });
      p.on(p.events.DISCONNECT, () => {
        if (producer === p) producer = undefined;
      });
      await p.connect();
      producer = p;
      return p;
    })().finally(() => (connecting = undefined));
    return connecting;
  };

  const topicMessages = (batch: SinkBatch): TopicMessages[] => {
    const byTopic = new Map<string, Message[]>();
    const add = (topic: string, message: Message) => {
      const list = byTopic.get(topic);
      if (list) list.push(message);
      else byTopic.set(topic, [message]);
    };
    for (const event of batch.events) {
      add(TOPICS.events(event.event_type), {
        key: `${event.customer_id}:${event.visitor_id}`,
        value: JSON.stringify(event),
        headers: { event_id: event.event_id, customer_id: event.customer_id },
      });
    }
    for (const letter of batch.dead_letters) {
      add(TOPICS.dlq, {
        key: letter.customer_id,
        value: JSON.stringify(letter),
        headers: { customer_id: letter.customer_id, code: letter.code },
      });
    }
    return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
  };

  const send = async (topics: TopicMessages[]): Promise<void> => {
    try {
      const p = await connected();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        p.sendBatch({
          topicMessages: topics,
          acks: -1,
          timeout,
          compression:
            options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
        }),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no acknowledgement from Kafka within ${timeout} ms`)),
            timeout,
          );
        }),
      ]).finally(() => clearTimeout(timer));
    } catch (error) {
      // Reconnect on the next write: after a broker restart the old connection is useless.
      const stale = producer;
      producer = undefined;
      void stale?.disconnect().catch(() => {});
      throw new SinkUnavailableError(
        `Kafka did not acknowledge the batch: ${(error as Error).message}`,
        { cause: error },
      );
    }
  };

  // Group commit: the idempotent producer has one request in flight, so batches that arrive
  // while it waits for Kafka's ack go out together in the next request. Each write still
  // resolves only when the request carrying it was acknowledged.
  let waiting: Array<{ topics: TopicMessages[]; done: (error?: unknown) => void }> = [];
  let flushing = false;
  const drain = async (): Promise<void> => {
    flushing = true;
    while (waiting.length) {
      const group = waiting;
      waiting = [];
      const merged = new Map<string, TopicMessages['messages']>();
      for (const { topics } of group)
        for (const { topic, messages } of topics)
          merged.set(topic, (merged.get(topic) ?? []).concat(messages));
      try {
        await send([...merged].map(([topic, messages]) => ({ topic, messages })));
        for (const w of group) w.done();
      } catch (error) {
        for (const w of group) w.done(error);
      }
    }
    flushing = false;
  };

  return {
    write(batch) {
      const topics = topicMessages(batch);
      if (!topics.length) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        waiting.push({ topics, done: (error) => (error ? reject(error) : resolve()) });
        if (!flushing) void drain();
      });
    },
    async close() {
      await producer?.disconnect();
      producer = undefined;
    },
  };
}
