import { Kafka, logLevel } from 'kafkajs';
import { createProducerLane } from '../kafka/producer-lane';
import { TOPICS } from '../kafka/topics';
import type { DefinitionRecord, ProfileDeletion } from '@pulse/contract';
import type { ProcessedBatch } from './processor';
import { kafkaBrokers } from '../kafka/brokers';

export interface KafkaPublisher {
  publish(batch: ProcessedBatch): Promise<void>;
  /** Announces a profile deleted through the profile API on `pulse.deletions` (Flink engine). */
  publishDeletion(deletion: ProfileDeletion): Promise<void>;
  /** Hands the Flink job a step of a segment's definition on `pulse.definitions`. */
  publishDefinition(record: DefinitionRecord): Promise<void>;
  close(): Promise<void>;
}

/**
 * Publishes the processor's outputs: segment changes to `pulse.segments` (key
 * `customer_id:id`, so one profile's changes stay in order) and identity links to
 * `pulse.identity` (key `customer_id:source_id`); and with the Flink engine, profiles deleted
 * through the API to `pulse.deletions` and segment definitions to `pulse.definitions` (key
 * `customer_id`). Idempotent producer, acks=all.
 */
export function createKafkaPublisher(brokers: string[]): KafkaPublisher {
  const kafka = new Kafka({
    clientId: 'pulse-processor-out',
    ...kafkaBrokers(brokers),
    logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5000 },
  });
  const lane = createProducerLane(kafka, { timeoutMs: 10_000, compression: 'none' });
  return {
    async publish({ changes, links }) {
      const topics = [
        {
          topic: TOPICS.segments,
          messages: changes.map((change) => ({
            key: `${change.customer_id}:${change.id}`,
            value: JSON.stringify(change),
          })),
        },
        {
          topic: TOPICS.identity,
          messages: links.map((link) => ({
            key: `${link.customer_id}:${link.source_id}`,
            value: JSON.stringify(link),
          })),
        },
      ].filter((topic) => topic.messages.length > 0);
      if (topics.length) await lane.send(topics);
    },
    async publishDeletion(deletion) {
      await lane.send([
        {
          topic: TOPICS.deletions,
          messages: [{ key: deletion.customer_id, value: JSON.stringify(deletion) }],
        },
      ]);
    },
    async publishDefinition(record) {
      await lane.send([
        {
          topic: TOPICS.definitions,
          messages: [{ key: record.customer_id, value: JSON.stringify(record) }],
        },
      ]);
    },
    close: () => lane.close(),
  };
}
