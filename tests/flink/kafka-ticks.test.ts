import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeadLetter, PulseEvent, SegmentChange } from '@pulse/contract';
import { setUpTopics, TOPICS } from '../../backend/src/kafka/topics';
import { createKafkaSink, type KafkaSink } from '../../backend/src/sinks/kafka-sink';
import { missingService, waitUntil } from '../services/free-port';
import { readCommitted, startFlinkMain, type CommittedRecord } from '../services/flink-job';
import {
  kafkaToolsAvailable,
  ONE_PARTITION_TOPICS,
  startKafka,
  type KafkaBroker,
} from '../services/kafka/broker';
import { buildFlinkJar, type JavaProcess } from '../../backend/src/flink/flink-job';

const why = await kafkaToolsAvailable();
const skip = why
  ? missingService('Java and Maven (Kafka and the Flink job)', why) === 'skip'
  : false;

const CUSTOMER = 'ftick_a';
const WINDOW_MS = 60_000;

/**
 * The wall clock in the Kafka job: each customer with segments is ticked every PULSE_TICK_MS on a
 * processing-time timer, so a member leaves when its window has passed even though no event
 * arrives (tests/vectors/README.md, rule 6). One page view 50 s old makes its visitor a member of
 * a one-minute segment; about 10 s later the ticks alone must end the membership, at exactly the
 * event's time plus the window.
 */
describe.skipIf(skip)('the Flink Kafka job with the wall clock ticking', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-flink-ticks-'));
  let broker: KafkaBroker;
  let job: JavaProcess;
  let sink: KafkaSink;
  let producer: Producer;
  let event: PulseEvent;
  let records: CommittedRecord[] = [];

  beforeAll(async () => {
    [broker] = await Promise.all([startKafka(), buildFlinkJar({ offline: true })]);
    await setUpTopics([broker.brokers], ONE_PARTITION_TOPICS);
    const segmentsFile = join(dir, 'segments.json');
    writeFileSync(
      segmentsFile,
      JSON.stringify({
        [CUSTOMER]: [
          { id: 'recent', rule: { event_type: 'page_view', min_count: 1, window: '1m' } },
        ],
      }),
    );
    job = startFlinkMain('dev.pulse.flink.kafka.PulseKafkaJob', {
      KAFKA_BROKERS: broker.brokers,
      PULSE_FLINK_PARALLELISM: '2',
      PULSE_FLINK_CHECKPOINT_MS: '300',
      PULSE_SEGMENTS_FILE: segmentsFile,
      PULSE_TICK_MS: '200',
    });
    const kafka = new Kafka({ brokers: [broker.brokers], logLevel: logLevel.NOTHING });
    producer = kafka.producer();
    await producer.connect();
    sink = createKafkaSink({ brokers: [broker.brokers] });

    // The job is running once a record that is not an event comes back as a dead letter.
    await producer.send({
      topic: TOPICS.events('page_view'),
      messages: [{ key: `${CUSTOMER}:probe`, value: 'not an event' }],
    });
    await waitUntil(
      () => `the job to start (log:\n${job.log().slice(-3000)})`,
      async () => {
        records = await readCommitted(broker.brokers, [TOPICS.dlq]);
        return records.some((r) => (r.value as DeadLetter).raw === 'not an event');
      },
      120_000,
    );

    const timestamp = new Date(Date.now() - 50_000).toISOString();
    event = {
      event_id: 'ftick-1',
      customer_id: CUSTOMER,
      visitor_id: 'v1',
      user_id: null,
      session_id: null,
      event_type: 'page_view',
      event_name: '/pricing',
      properties: { path: '/pricing' },
      previous_id: null,
      context: {},
      timestamp,
      original_timestamp: timestamp,
      sent_at: timestamp,
      received_at: timestamp,
    };
    await sink.write({ customer_id: CUSTOMER, events: [event], dead_letters: [] });
    await waitUntil(
      () => `an enter and an exit on ${TOPICS.segments} (log:\n${job.log().slice(-3000)})`,
      async () => {
        records = await readCommitted(broker.brokers, [TOPICS.segments]);
        return records.length >= 2;
      },
      60_000,
    );
  });
  afterAll(async () => {
    await producer?.disconnect();
    await sink?.close();
    await job?.stop();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ends a membership when the window has passed, with no new event', () => {
    const changes = records.map((record) => record.value as SegmentChange);
    expect(records.every((record) => record.key === `${CUSTOMER}:v1`)).toBe(true);
    expect(changes.map(({ change, reason }) => [change, reason])).toEqual([
      ['enter', 'rule'],
      ['exit', 'window'],
    ]);
    const eventTime = Date.parse(event.timestamp);
    // The enter is at the customer's clock: the wall time of the tick before its first event.
    expect(Date.parse(changes[0]!.at)).toBeGreaterThanOrEqual(eventTime);
    expect(Date.parse(changes[0]!.at)).toBeLessThan(eventTime + WINDOW_MS);
    expect(changes[1]!.at).toBe(new Date(eventTime + WINDOW_MS).toISOString());
  });
});
