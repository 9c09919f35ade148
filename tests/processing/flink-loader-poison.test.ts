import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import type { DeadLetter } from '@pulse/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS } from '../../backend/src/kafka/topics';
import { startBackend, type Backend } from '../../backend/src/start-backend';
import { pulseEvent, readTopics } from '../../backend/test/kafka-fixtures';
import { missingService, waitUntil } from '../services/free-port';
import { kafkaToolsAvailable, startKafka, type KafkaBroker } from '../services/kafka/broker';
import { redisUnavailable, startRedis, type RedisServer } from '../services/redis';

const why = (await kafkaToolsAvailable()) ?? redisUnavailable();
const skip = why ? missingService('Kafka and Redis', why) === 'skip' : false;

const CUSTOMER = 'cust_loader';

/**
 * The Flink engine's loader (backend/src/flink/flink-loader.ts) reads what the job wrote, but a
 * record of another shape on its topics (a bug, a tool writing by hand, an id past the
 * contract's bounds), or one whose load fails every time, goes to pulse.dlq with its reason
 * and position, and the records beside it are loaded: poison never stops the loading, and
 * nothing unbounded reaches a store key.
 */
describe.skipIf(skip)('the Flink loader with records it cannot load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-flink-loader-'));
  let broker: KafkaBroker;
  let redis: RedisServer;
  let backend: Backend;
  let producer: Producer;

  beforeAll(async () => {
    [broker, redis] = await Promise.all([startKafka(), startRedis()]);
    backend = await startBackend({
      dataDir: dir,
      port: 0,
      ingestSecret: 'loader',
      kafkaBrokers: [broker.brokers],
      redisUrl: redis.url,
      engine: 'flink',
      roles: { ingest: false },
      tickMs: 0,
      ttl: false,
    });
    producer = new Kafka({ brokers: [broker.brokers], logLevel: logLevel.NOTHING }).producer({
      idempotent: true,
    });
    await producer.connect();
  });
  afterAll(async () => {
    await producer?.disconnect();
    await backend?.stop();
    await redis?.stop();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('quarantines what is not its topic’s shape, and what fails alone, and loads the rest', async () => {
    // State no loader could have written: u_poison's set of sources is a string, so loading
    // any link to u_poison fails (WRONGTYPE) however often it is tried.
    const client = new Redis(redis.url);
    await client.set(`identity-sources:{${CUSTOMER}}:u_poison`, 'corrupt');
    await client.quit();
    const at = new Date().toISOString();
    const until = new Date(Date.now() + 86_400_000).toISOString();
    const end = (id: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({
        customer_id: CUSTOMER,
        segment_id: 'fans',
        id,
        until,
        clock: at,
        ...extra,
      });
    const send = (topic: string, key: string, values: string[]) =>
      producer.send({ topic, acks: -1, messages: values.map((value) => ({ key, value })) });

    const bad = {
      [TOPICS.memberships]: [
        'not json {',
        end('v-long', { id: 'x'.repeat(201) }),
        end('v-star', { customer_id: 'a*' }),
        end('v-seg', { segment_id: 'fans:*' }),
        end('v-time', { until: 'soon' }),
      ],
      [TOPICS.segments]: [
        JSON.stringify({ customer_id: CUSTOMER, segment_id: 'fans', id: 'v-1', change: 'maybe' }),
      ],
      [TOPICS.identity]: [JSON.stringify({ customer_id: CUSTOMER, source_id: 'v-2' })],
    };
    await send(TOPICS.memberships, `${CUSTOMER}:v-1`, [...bad[TOPICS.memberships], end('v-1')]);
    await send(TOPICS.segments, `${CUSTOMER}:v-1`, [
      ...bad[TOPICS.segments],
      JSON.stringify({
        customer_id: CUSTOMER,
        segment_id: 'fans',
        id: 'v-1',
        change: 'enter',
        at,
        reason: 'rule',
      }),
    ]);
    const link = (source: string, user: string) =>
      JSON.stringify({
        customer_id: CUSTOMER,
        source_id: source,
        user_id: user,
        at,
        event_id: 'e',
      });
    await send(TOPICS.identity, `${CUSTOMER}:v-2`, [
      ...bad[TOPICS.identity],
      link('v-3', 'u_poison'),
      JSON.stringify({
        customer_id: CUSTOMER,
        source_id: 'v-2',
        user_id: 'u-2',
        at,
        event_id: 'e-1',
      }),
    ]);
    const event = pulseEvent(CUSTOMER, { visitor_id: 'v-1' });
    await send(TOPICS.events('page_view'), `${CUSTOMER}:v-1`, [
      '{"event_id": 1}',
      JSON.stringify(event),
    ]);

    const quarantined = () => backend.status().consumer?.quarantined ?? 0;
    const expected = Object.values(bad).flat().length + 1;
    await waitUntil(
      () =>
        `the loader to load the good records and quarantine ${expected} (so far ${quarantined()})`,
      async () =>
        quarantined() >= expected &&
        (await backend.warehouse.eventCount(CUSTOMER)) === 1 &&
        (await backend.warehouse.segmentChanges(CUSTOMER)).length === 1 &&
        (await backend.store.links([{ customer: CUSTOMER, id: 'v-2' }]))[0] === 'u-2' &&
        (await backend.store.members(CUSTOMER, 'fans', null, 10)).ids.length === 1,
      60_000,
    );
    expect(quarantined()).toBe(expected);
    expect((await backend.store.members(CUSTOMER, 'fans', null, 10)).ids).toEqual(['v-1']);
    expect(await backend.warehouse.segmentChanges(CUSTOMER)).toMatchObject([
      { id: 'v-1', change: 'enter', reason: 'rule' },
    ]);
    // Each with its reason and position, durable in pulse.dlq before the offsets moved on.
    const letters = (
      await readTopics(broker.brokers, [TOPICS.dlq], (m) => m.length >= expected)
    ).map(({ value }) => value as unknown as DeadLetter);
    const reasons = letters.map((l) => `${l.source?.topic} ${l.message.split(':')[0]}`).sort();
    expect(reasons).toEqual(
      [
        ...Array(4).fill(`${TOPICS.memberships} the record is not a valid membership end`),
        `${TOPICS.memberships} the record is not JSON`,
        `${TOPICS.segments} the record is not a valid segment change`,
        `${TOPICS.identity} the record is not a valid identity link`,
        `${TOPICS.identity} processing failed deterministically`,
      ].sort(),
    );
    expect(letters.find((l) => l.raw === link('v-3', 'u_poison'))).toMatchObject({
      customer_id: CUSTOMER,
      code: 'quarantined',
      source: { topic: TOPICS.identity },
    });
  });
});
