import { Kafka, logLevel, type Message, type TopicMessages } from 'kafkajs';
import type { Sink, SinkBatch } from '@pulse/contract';
import { createProducerLane } from '../kafka/producer-lane';
import { TOPICS } from '../kafka/topics';
import { kafkaBrokers } from '../kafka/brokers';

export interface KafkaSinkOptions {
  brokers: string[];
  clientId?: string;
  /** Longest wait for Kafka's acknowledgement before the write fails (the edge answers 503). */
  timeoutMs?: number;
  compression?: 'none' | 'gzip';
  /**
   * Idempotent producers working in parallel. A client's next batch is sent only after the
   * previous one was acknowledged, so per-visitor order holds across lanes.
   * @default 3
   */
  lanes?: number;
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
    ...kafkaBrokers(options.brokers),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: timeout,
    retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 2000 },
  });
  const lanes = Array.from({ length: options.lanes ?? 3 }, () =>
    createProducerLane(kafka, { timeoutMs: timeout, compression: options.compression ?? 'none' }),
  );

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
        headers: {
          event_id: event.event_id,
          customer_id: event.customer_id,
          ...(batch.traceparent ? { traceparent: batch.traceparent } : {}),
        },
      });
    }
    for (const letter of batch.dead_letters) {
      add(TOPICS.dlq, {
        key: letter.customer_id,
        value: JSON.stringify(letter),
        headers: { customer_id: letter.customer_id, code: letter.code },
      });
    }
    if (batch.client_dropped) {
      // Events a browser dropped for space never reach us; their count goes on record with the
      // dead letters, so reconciliation can account for them.
      add(TOPICS.dlq, {
        key: batch.customer_id,
        value: JSON.stringify({
          customer_id: batch.customer_id,
          code: 'client_dropped',
          message: `${batch.client_dropped} event(s) dropped by the client for storage space`,
          count: batch.client_dropped,
          received_at: batch.events[0]?.received_at ?? new Date().toISOString(),
        }),
        headers: { customer_id: batch.customer_id, code: 'client_dropped' },
      });
    }
    return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
  };

  return {
    write(batch) {
      const topics = topicMessages(batch);
      if (!topics.length) return Promise.resolve();
      const lane = lanes.reduce((best, l) => (l.load < best.load ? l : best));
      return lane.send(topics);
    },
    async close() {
      await Promise.all(lanes.map((l) => l.close()));
    },
  };
}
