import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import {
  kafkaToolsAvailable,
  startKafka,
  type KafkaBroker,
} from '../../tests/services/kafka/broker';
import { missingService, waitUntil } from '../../tests/services/free-port';
import { readCommittedCorrectly } from '../src/kafka/committed-reads';

const why = await kafkaToolsAvailable();
const skip = why ? missingService('Apache Kafka (java + mvn)', why) === 'skip' : false;
const TOPIC = 'committed-reads';

/**
 * A read_committed consumer of a topic written by several transactional producers (Flink's
 * sinks, read by the Flink loader) gets exactly the committed records, from the start of the
 * log or from inside aborted transactions. kafkajs' own filter returned aborted records here.
 */
describe.skipIf(skip)('read_committed consumers of a real Kafka broker', () => {
  let broker: KafkaBroker;
  let kafka: Kafka;
  const producers: Producer[] = [];

  beforeAll(async () => {
    broker = await startKafka();
    kafka = new Kafka({
      clientId: 'committed-reads',
      brokers: [broker.brokers],
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: TOPIC, numPartitions: 1 }],
      waitForLeaders: true,
    });
    await admin.disconnect();
  });
  afterAll(async () => {
    await Promise.all(producers.map((p) => p.disconnect()));
    await broker?.stop();
  });

  const producer = async (transactionalId?: string) => {
    const p = kafka.producer(
      transactionalId ? { transactionalId, idempotent: true, maxInFlightRequests: 1 } : {},
    );
    await p.connect();
    producers.push(p);
    return p;
  };

  /** Every data record from `offset` on, read by a fresh group until the record `end`. */
  const readFrom = async (offset: number, readUncommitted: boolean) => {
    const groupId = `reader-${randomUUID()}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.setOffsets({
      groupId,
      topic: TOPIC,
      partitions: [{ partition: 0, offset: String(offset) }],
    });
    await admin.disconnect();
    const consumer = kafka.consumer({ groupId, readUncommitted, maxWaitTimeInMs: 100 });
    const read: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC });
    await consumer.run({
      eachMessage: async ({ message }) => {
        read.push(`${message.offset}:${String(message.value)}`);
      },
    });
    try {
      await waitUntil(
        () => `the record "end" (read so far: ${read.join(', ')})`,
        async () => read.some((r) => r.endsWith(':end')),
        60_000,
      );
    } finally {
      await consumer.disconnect();
    }
    return read;
  };

  it('returns no record of an aborted transaction and every committed one', async () => {
    const [a, b, c, plain] = await Promise.all([
      producer('producer-a'),
      producer('producer-b'),
      producer('producer-c'),
      producer(),
    ]);
    const send = async (sender: Pick<Producer, 'send'>, value: string) =>
      sender.send({ topic: TOPIC, acks: -1, messages: [{ value }] });
    // Offsets 0-5 are as noted: each send waits for its ack, and producer c's next transaction
    // waits until its abort marker (4) is written. The coordinator writes the other markers
    // after EndTxn answers, so markers of different producers and `end` land in either order.
    const txA = await a.transaction();
    await send(txA, 'a1-aborted'); // 0
    const txB = await b.transaction();
    await send(txB, 'b1-aborted'); // 1
    const txC1 = await c.transaction();
    await send(txC1, 'c1-aborted'); // 2
    await send(txC1, 'c1-aborted-too'); // 3
    await txC1.abort(); // 4
    const txC2 = await c.transaction();
    await send(txC2, 'c2-committed'); // 5
    await txC2.commit(); // its marker, 6 or later
    await txA.abort();
    await txB.abort();
    await send(plain, 'end');
    const anyOffset = (records: string[]) => records.map((r) => r.replace(/^\d+:end$/, '?:end'));

    // The log is laid out as above: read_uncommitted sees every data record where it was put.
    expect(anyOffset(await readFrom(0, true))).toEqual([
      '0:a1-aborted',
      '1:b1-aborted',
      '2:c1-aborted',
      '3:c1-aborted-too',
      '5:c2-committed',
      '?:end',
    ]);

    readCommittedCorrectly();
    // kafkajs alone returned records 0 and 1 from offset 0: it takes the broker's list of
    // aborted transactions as ordered by first offset, and Kafka lists c's first (it ended first).
    expect(anyOffset(await readFrom(0, false))).toEqual(['5:c2-committed', '?:end']);
    // From offset 3, inside three aborted transactions, as a loader is after a restart.
    expect(anyOffset(await readFrom(3, false))).toEqual(['5:c2-committed', '?:end']);
  });
});
