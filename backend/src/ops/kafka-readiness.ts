import { Kafka, logLevel, type Admin } from 'kafkajs';
import type { ReadinessCheck } from './ops-server';
import { kafkaBrokers } from '../kafka/brokers';

/**
 * A readiness check that the Kafka cluster answers (a metadata round trip on one admin
 * connection, opened at the first check), and the close of that connection.
 */
export function kafkaReadiness(brokers: string[]): {
  check: ReadinessCheck;
  close(): Promise<void>;
} {
  let admin: Admin | undefined;
  return {
    async check() {
      if (!admin) {
        admin = new Kafka({
          clientId: 'pulse-readiness',
          ...kafkaBrokers(brokers),
          logLevel: logLevel.NOTHING,
          retry: { retries: 0 },
        }).admin();
        await admin.connect();
      }
      await admin.describeCluster();
    },
    async close() {
      await admin?.disconnect();
    },
  };
}
