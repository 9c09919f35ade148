import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  DeadLetter,
  DefinitionAck,
  DefinitionRecord,
  IdentityLink,
  PulseEvent,
  SegmentChange,
} from '@pulse/contract';
import { pulseEvent } from '../../backend/test/kafka-fixtures';
import { SINGLE_BROKER_TOPICS, setUpTopics, TOPICS } from '../../backend/src/kafka/topics';
import { createKafkaSink, type KafkaSink } from '../../backend/src/sinks/kafka-sink';
import { scopeVector, vectorCustomers } from '../processing/check-vector';
import { missingService, waitUntil } from '../services/free-port';
import { startFlinkMain } from '../services/flink-job';
import { kafkaToolsAvailable, startKafka, type KafkaBroker } from '../services/kafka/broker';
import { loadVectors, type Vector } from '../vectors/load';
import { buildFlinkJar, type JavaProcess } from '../../backend/src/flink/flink-job';

const why = await kafkaToolsAvailable();
const skip = why
  ? missingService('Java and Maven (Kafka and the Flink job)', why) === 'skip'
  : false;

/**
 * Vectors without ticks: in the Kafka job the wall clock ticks (processing-time timers), which
 * here would move every customer's clock to today, past the vectors' 2025 windows.
 */
const NAMES = [
  'login-after-anonymous-browsing',
  'several-devices-become-one-user',
  'first-link-wins',
  'expiry-by-later-event-clock',
];
const vectors = loadVectors()
  .filter((vector) => NAMES.includes(vector.name))
  .map((vector, index) => scopeVector(vector, `fkafka${index}`));

/** Records of a topic read with read_committed, by key, in partition order. */
interface TopicReader {
  byKey: Map<string, string[]>;
  count(): number;
}

async function readTopic(consumer: Consumer, topics: string[]): Promise<Map<string, TopicReader>> {
  const readers = new Map<string, TopicReader>();
  for (const topic of topics) {
    const byKey = new Map<string, string[]>();
    readers.set(topic, { byKey, count: () => [...byKey.values()].flat().length });
  }
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      const byKey = readers.get(topic)!.byKey;
      const key = String(message.key);
      byKey.set(key, [...(byKey.get(key) ?? []), String(message.value)]);
    },
  });
  return readers;
}

/**
 * The Kafka job (backend/flink, PulseKafkaJob) in a local MiniCluster against a real broker:
 * vectors' events produced to `pulse.events.<type>` as ingest writes them, segment changes read
 * back from `pulse.segments` and identity links from `pulse.identity` with read_committed (the
 * sinks are transactional), records that are not events quarantined to `pulse.dlq`.
 *
 * Stream order: events of one customer sit in several partitions and topics, and the job reads
 * partitions in parallel, so each event is followed by a record that is not an event, with the
 * same topic and key (the same partition); the next event is produced only after that record's
 * dead letter is committed, which happens only once the checkpoint after the event completed.
 */
describe.skipIf(skip)('the Flink Kafka job', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-flink-kafka-'));
  let broker: KafkaBroker;
  let job: JavaProcess;
  let sink: KafkaSink;
  let producer: Producer;
  let consumer: Consumer;
  let readers: Map<string, TopicReader>;
  const probes: string[] = [];

  beforeAll(async () => {
    [broker] = await Promise.all([startKafka(), buildFlinkJar({ offline: true })]);
    await setUpTopics([broker.brokers], SINGLE_BROKER_TOPICS);
    const segmentsFile = join(dir, 'segments.json');
    writeFileSync(
      segmentsFile,
      JSON.stringify(Object.assign({}, ...vectors.map((v) => v.segments))),
    );
    job = startFlinkMain('dev.pulse.flink.kafka.PulseKafkaJob', {
      KAFKA_BROKERS: broker.brokers,
      PULSE_FLINK_PARALLELISM: '2',
      PULSE_FLINK_CHECKPOINT_MS: '300',
      PULSE_SEGMENTS_FILE: segmentsFile,
      PULSE_TICK_MS: '0',
    });
    const kafka = new Kafka({ brokers: [broker.brokers], logLevel: logLevel.NOTHING });
    producer = kafka.producer();
    await producer.connect();
    consumer = kafka.consumer({ groupId: 'flink-job-reader', readUncommitted: false });
    await consumer.connect();
    readers = await readTopic(consumer, [
      TOPICS.segments,
      TOPICS.identity,
      TOPICS.dlq,
      TOPICS.definitionsApplied,
    ]);
    sink = createKafkaSink({ brokers: [broker.brokers] });

    for (const vector of vectors) {
      for (const item of vector.input) {
        if (!('event' in item)) throw new Error(`${vector.name} has a tick`);
        await produceInOrder(item.event);
      }
    }
  });
  afterAll(async () => {
    await consumer?.disconnect();
    await producer?.disconnect();
    await sink?.close();
    await job?.stop();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function produceInOrder(event: PulseEvent): Promise<void> {
    await sink.write({ customer_id: event.customer_id, events: [event], dead_letters: [] });
    const probe = `not an event: after ${event.customer_id}/${event.event_id}#${probes.length}`;
    probes.push(probe);
    const key = `${event.customer_id}:${event.visitor_id}`;
    await producer.send({
      topic: TOPICS.events(event.event_type),
      messages: [{ key, value: probe }],
    });
    const letters = () => readers.get(TOPICS.dlq)!.byKey.get(event.customer_id) ?? [];
    await waitUntil(
      () => `the dead letter of "${probe}" (job log:\n${job.log().slice(-3000)})`,
      async () => letters().some((text) => (JSON.parse(text) as DeadLetter).raw === probe),
      60_000,
    );
  }

  /** customer → source → its user: the latest link of each source (one key, one partition). */
  const identitiesRead = () => {
    const identities: Record<string, Record<string, string>> = {};
    for (const texts of readers.get(TOPICS.identity)!.byKey.values()) {
      for (const text of texts) {
        const link = JSON.parse(text) as IdentityLink;
        (identities[link.customer_id] ??= {})[link.source_id] = link.user_id;
      }
    }
    return identities;
  };

  const changesOf = (vector: Vector) => {
    const byKey = new Map<string, SegmentChange[]>();
    for (const change of vector.expect.changes) {
      const key = `${change.customer_id}:${change.id}`;
      byKey.set(key, [...(byKey.get(key) ?? []), change]);
    }
    return byKey;
  };

  it.each(vectors.map((vector) => [vector.name, vector] as const))(
    '%s: its changes and links, once each, in order per profile',
    async (_name, vector) => {
      const expected = changesOf(vector);
      const read = readers.get(TOPICS.segments)!.byKey;
      const got = (key: string) => (read.get(key) ?? []).map((t) => JSON.parse(t) as SegmentChange);
      // Committed with the last dead letter's checkpoint; the reader may still be fetching them.
      await waitUntil(
        `${vector.name}: its changes on ${TOPICS.segments} and links on ${TOPICS.identity}`,
        async () =>
          [...expected].every(([key, changes]) => got(key).length >= changes.length) &&
          [...vectorCustomers(vector)].every(
            (customer) =>
              Object.keys(identitiesRead()[customer] ?? {}).length >=
              Object.keys(vector.expect.identities[customer] ?? {}).length,
          ),
        30_000,
      );
      for (const [key, changes] of expected) expect(got(key), key).toEqual(changes);
      const customers = vectorCustomers(vector);
      const others = [...read.keys()].filter(
        (key) => customers.has(key.split(':')[0]!) && !expected.has(key),
      );
      expect(others, 'profiles with changes the vector does not expect').toEqual([]);

      const identities = identitiesRead();
      for (const [key, texts] of readers.get(TOPICS.identity)!.byKey) {
        for (const text of texts) {
          const link = JSON.parse(text) as IdentityLink;
          expect(key).toBe(`${link.customer_id}:${link.source_id}`);
          expect(Object.keys(link)).toEqual([
            'customer_id',
            'source_id',
            'user_id',
            'at',
            'event_id',
          ]);
        }
      }
      for (const customer of customers) {
        expect(identities[customer] ?? {}, `identities of ${customer}`).toEqual(
          vector.expect.identities[customer] ?? {},
        );
      }
    },
  );

  const lettersRead = () =>
    [...readers.get(TOPICS.dlq)!.byKey.values()]
      .flat()
      .map((text) => JSON.parse(text) as DeadLetter);

  it('quarantines every record that is not an event to pulse.dlq, as the TS processor does, and goes on', () => {
    const letters = lettersRead().filter((letter) => letter.source?.topic !== TOPICS.deletions);
    expect(letters.map((letter) => letter.raw).sort()).toEqual([...probes].sort());
    for (const letter of letters) {
      expect(letter).toMatchObject({
        index: -1,
        event_id: null,
        code: 'quarantined',
        message: 'the record is not JSON',
      });
      expect(letter.source?.topic).toMatch(/^pulse\.events\./);
      expect(letter.source?.offset).toMatch(/^\d+$/);
      expect(String(letter.raw)).toContain(letter.customer_id);
    }
  });

  it('quarantines a record of pulse.deletions that is not a deletion, with its reason', async () => {
    const customer = 'fkafka_deletions';
    const records = [
      'not json {',
      JSON.stringify({ customer_id: customer }),
      JSON.stringify({ customer_id: customer, id: 'u'.repeat(201) }),
      JSON.stringify({ customer_id: 42, id: 'u1' }),
    ];
    await producer.send({
      topic: TOPICS.deletions,
      messages: records.map((value) => ({ key: customer, value })),
    });
    const letters = () =>
      lettersRead().filter((letter) => letter.source?.topic === TOPICS.deletions);
    await waitUntil(
      () => `4 dead letters of ${TOPICS.deletions} (job log:\n${job.log().slice(-3000)})`,
      async () => letters().length >= 4,
      60_000,
    );
    expect(letters().map((letter) => [letter.raw, letter.message])).toEqual([
      [records[0], 'the record is not JSON'],
      ...records
        .slice(1)
        .map((raw) => [
          raw,
          'the record is not a valid deletion: customer_id and id must be ids of 1 to 200 characters',
        ]),
    ]);
    for (const letter of letters())
      expect(letter).toMatchObject({ customer_id: customer, code: 'quarantined', event_id: null });
  });

  it('quarantines a record of pulse.definitions that is not a definition step, once', async () => {
    const customer = 'fkafka_definitions';
    const ids = { customer_id: customer, segment_id: 'seg', version: 'v1' };
    const rule = { event_type: 'page_view', min_count: 1, window: '1h' };
    const records = [
      'not json {',
      JSON.stringify({ ...ids, kind: 'rename' }),
      JSON.stringify({ ...ids, kind: 'define', definition: { id: 'other', rule } }),
      JSON.stringify({ ...ids, kind: 'replay', events: [{ event_id: 'e1', source: 'v1' }] }),
      JSON.stringify({ ...ids, customer_id: 'c'.repeat(201), kind: 'end' }),
    ];
    await producer.send({
      topic: TOPICS.definitions,
      messages: records.map((value) => ({ key: customer, value })),
    });
    const letters = () =>
      lettersRead().filter((letter) => letter.source?.topic === TOPICS.definitions);
    await waitUntil(
      () => `5 dead letters of ${TOPICS.definitions} (job log:\n${job.log().slice(-3000)})`,
      async () => letters().length >= 5,
      60_000,
    );
    const why = 'the record is not a valid segment definition step: ';
    // Every reader receives each record (broadcast), and only the first quarantines it.
    expect(letters().map((letter) => [letter.raw, letter.message])).toEqual([
      [records[0], 'the record is not JSON'],
      [records[1], `${why}kind must be define, delete, replay or end`],
      [records[2], `${why}definition must be the segment's {id, rule} with a window the job reads`],
      [records[3], `${why}each replayed event needs an event_id, a source and a time (at)`],
      [records[4], `${why}customer_id, segment_id and version must be ids of 1 to 200 characters`],
    ]);
  });

  it('ends only the version that holds: the late end of a replaced version exits nobody', async () => {
    // Two backends finishing the same unfinished write each send a define, and the first one's
    // end can come after the second's switch. x enters with v1, is set aside by v2 and v3, and
    // v2's end comes after v3's switch: x must stay set aside until v3's end, which keeps it.
    const customer = 'fkafka_versions';
    const rule = { event_type: 'page_view' as const, min_count: 1, window: '1h' };
    const step = async (record: DefinitionRecord, phase?: DefinitionAck['phase']) => {
      await producer.send({
        topic: TOPICS.definitions,
        messages: [{ key: customer, value: JSON.stringify(record) }],
      });
      if (!phase) return undefined;
      const ack = () =>
        (readers.get(TOPICS.definitionsApplied)!.byKey.get(customer) ?? [])
          .map((text) => JSON.parse(text) as DefinitionAck)
          .find((a) => a.version === record.version && a.phase === phase);
      await waitUntil(
        () => `${phase} of ${record.version} (job log:\n${job.log().slice(-3000)})`,
        async () => ack() !== undefined,
        60_000,
      );
      return ack()!;
    };
    const ids = (version: string) => ({ customer_id: customer, segment_id: 'seg', version });
    const define = (version: string, eventType: 'page_view' | 'click' = rule.event_type) => ({
      kind: 'define' as const,
      ...ids(version),
      definition: { id: 'seg', rule: { ...rule, event_type: eventType } },
    });
    const x = (id: string) =>
      (readers.get(TOPICS.segments)!.byKey.get(`${customer}:${id}`) ?? []).map(
        (text) => JSON.parse(text) as SegmentChange,
      );

    await step(define('v1'), 'switched');
    const at = Date.now() - 60_000;
    const view = pulseEvent(customer, { visitor_id: 'x', timestamp: new Date(at).toISOString() });
    await produceInOrder(view);
    await step({ kind: 'end', ...ids('v1') }, 'ended');
    await waitUntil('x enters with v1', async () => x('x').length >= 1, 30_000);
    await step(define('v2'), 'switched');
    await step(define('v3'), 'switched');
    expect(await step({ kind: 'end', ...ids('v2') }, 'ended')).toMatchObject({ exited: 0 });
    const replayed = [{ event_id: view.event_id, source: 'x', at: view.timestamp }];
    await step({ kind: 'replay', ...ids('v3'), events: replayed });
    expect(await step({ kind: 'end', ...ids('v3') }, 'ended')).toMatchObject({
      members: 1,
      exited: 0,
    });
    // A later clock, then a rule x does not meet: x's exit at that clock is the last change of
    // its key (one partition, in order), so every change of x before it has been read.
    const later = new Date(at + 30_000).toISOString();
    await produceInOrder(pulseEvent(customer, { visitor_id: 'y', timestamp: later }));
    await step(define('v4', 'click'), 'switched');
    await step({ kind: 'end', ...ids('v4') }, 'ended');
    await waitUntil(
      () => `x's exit at ${later}: ${JSON.stringify(x('x'))}`,
      async () => x('x').some((change) => change.at === later),
      30_000,
    );
    expect(x('x').map((c) => [c.change, c.reason, c.at])).toEqual([
      ['enter', 'rule', new Date(at).toISOString()],
      ['exit', 'redefined', later],
    ]);
  });
});
