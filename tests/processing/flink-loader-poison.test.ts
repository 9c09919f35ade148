import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS } from '../../backend/src/kafka/topics';
import { startBackend, type Backend } from '../../backend/src/start-backend';
import { pulseEvent } from '../../backend/test/kafka-fixtures';
import { missingService, waitUntil } from '../services/free-port';
import { kafkaToolsAvailable, startKafka, type KafkaBroker } from '../services/kafka/broker';
import { redisUnavailable, startRedis, type RedisServer } from '../services/redis';

const why = (await kafkaToolsAvailable()) ?? redisUnavailable();
const skip = why ? missingService('Kafka and Redis', why) === 'skip' : false;

const CUSTOMER = 'cust_loader';

/**
 * The Flink engine's loader (backend/src/flink/flink-loader.ts) reads what the job wrote, but a
 * record of another shape on its topics (a bug, a tool writing by hand, an id past the
 * contract's bounds) is skipped and counted, and the records beside it are loaded: it never
 * stops loading, and nothing unbounded reaches a store key.
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

  it('skips what is not its topic’s shape and loads the records beside it', async () => {
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
    await send(TOPICS.identity, `${CUSTOMER}:v-2`, [
      ...bad[TOPICS.identity],
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

    const skipped = () => {
      const status = backend.status().consumer;
      return status && 'skipped' in status ? status.skipped : 0;
    };
    const expected = Object.values(bad).flat().length;
    await waitUntil(
      `the loader to load the good records and skip ${expected} (skipped so far: ${skipped()})`,
      async () =>
        skipped() >= expected &&
        (await backend.warehouse.eventCount(CUSTOMER)) === 1 &&
        (await backend.warehouse.segmentChanges(CUSTOMER)).length === 1 &&
        (await backend.store.links([{ customer: CUSTOMER, id: 'v-2' }]))[0] === 'u-2' &&
        (await backend.store.members(CUSTOMER, 'fans', null, 10)).ids.length === 1,
      60_000,
    );
    expect(skipped()).toBe(expected);
    expect((await backend.store.members(CUSTOMER, 'fans', null, 10)).ids).toEqual(['v-1']);
    expect(await backend.warehouse.segmentChanges(CUSTOMER)).toMatchObject([
      { id: 'v-1', change: 'enter', reason: 'rule' },
    ]);
  });
});
