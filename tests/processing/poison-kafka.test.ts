import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeadLetter, PulseEvent } from '@pulse/contract';
import { redriveFromKafka } from '../../backend/src/dlq/redrive';
import { TOPICS } from '../../backend/src/kafka/topics';
import { startBackend, type Backend } from '../../backend/src/start-backend';
import { pulseEvent, readTopics } from '../../backend/test/kafka-fixtures';
import { missingService, waitUntil } from '../services/free-port';
import { kafkaToolsAvailable, startKafka, type KafkaBroker } from '../services/kafka/broker';
import { redisUnavailable, startRedis, type RedisServer } from '../services/redis';

const why = (await kafkaToolsAvailable()) ?? redisUnavailable();
const skip = why ? missingService('Kafka and Redis', why) === 'skip' : false;

/**
 * Poison records never block a partition (docs/architecture.md, "Kafka"): records written
 * straight into Kafka that are not events, or that fail processing every time, go to
 * pulse.dlq with their reason, and every other customer's events keep flowing. An outage of a
 * store is retried, never quarantined.
 */
describe.skipIf(skip)('the Kafka consumer with poison records', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-poison-kafka-'));
  let broker: KafkaBroker;
  let redis: RedisServer;
  let backend: Backend;
  let producer: Producer;
  const processed = new Set<string>();
  const quarantined: DeadLetter[] = [];

  const send = (topic: string, records: Array<{ key: string; value: string }>) =>
    producer.send({ topic, acks: -1, messages: records });
  const sendEvents = (events: PulseEvent[]) =>
    send(
      TOPICS.events('custom'),
      events.map((e) => ({ key: `${e.customer_id}:${e.visitor_id}`, value: JSON.stringify(e) })),
    );
  const processedOf = (event: PulseEvent) =>
    waitUntil(
      `event ${event.event_id} of ${event.customer_id} processed`,
      async () => processed.has(`${event.customer_id}/${event.event_id}`),
      60_000,
    );

  beforeAll(async () => {
    [broker, redis] = await Promise.all([startKafka(), startRedis()]);
    backend = await startBackend({
      dataDir: dir,
      port: 0,
      ingestSecret: 'poison',
      kafkaBrokers: [broker.brokers],
      redisUrl: redis.url,
      roles: { ingest: false },
      tickMs: 0,
      ttl: false,
      onBatch: (batch) => batch.eventKeys.forEach((key) => processed.add(key)),
      onQuarantine: (letter) => quarantined.push(letter),
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

  it('quarantines records that are not events and goes on with the next customer’s event', async () => {
    await send(TOPICS.events('custom'), [
      { key: 'cust_bad:v1', value: 'not json {' },
      { key: 'cust_bad:v1', value: JSON.stringify({ event_id: 1, customer_id: 'cust_bad' }) },
      {
        key: 'a*:v1',
        value: JSON.stringify(pulseEvent('cust_ok', { customer_id: 'a*', visitor_id: 'v1' })),
      },
    ]);
    const next = pulseEvent('cust_next', { event_type: 'custom' });
    await sendEvents([next]);
    await processedOf(next);
    await waitUntil('three records quarantined', async () => quarantined.length >= 3, 30_000);
    // Two keys, so two partitions: the order between them is not defined.
    const reasons = quarantined.map((q) => `${q.customer_id} ${q.message.split(':')[0]}`);
    expect(reasons.sort()).toEqual([
      'a* the record is not a valid event',
      'cust_bad the record is not JSON',
      'cust_bad the record is not a valid event',
    ]);
    expect(quarantined.find((q) => q.raw === 'not json {')).toMatchObject({
      customer_id: 'cust_bad',
      raw: 'not json {',
      source: { topic: TOPICS.events('custom') },
    });
    const dlq = await readTopics(broker.brokers, [TOPICS.dlq], (m) => m.length >= 3);
    expect(dlq.filter((m) => m.headers.code === 'quarantined')).toHaveLength(3);
    expect(backend.status().consumer?.quarantined).toBe(3);
    expect(await backend.warehouse.eventCount('cust_next')).toBe(1);
  });

  it('isolates an event that fails every time, quarantines it alone and stores its neighbours', async () => {
    quarantined.length = 0;
    // State no processor could have written: the identity set of u_poison is a string, so
    // every batch naming u_poison fails (WRONGTYPE) however often it is retried.
    const client = new Redis(redis.url);
    await client.set('identity-sources:{cust_poison}:u_poison', 'corrupt');
    await client.quit();
    const before = pulseEvent('cust_poison', { event_type: 'custom', visitor_id: 'v_a' });
    const poison = pulseEvent('cust_poison', {
      event_type: 'custom',
      visitor_id: 'v_b',
      user_id: 'u_poison',
    });
    const after = pulseEvent('cust_poison', { event_type: 'custom', visitor_id: 'v_c' });
    await sendEvents([before, poison, after]);
    const other = pulseEvent('cust_other', { event_type: 'custom' });
    await sendEvents([other]);
    await processedOf(other);
    await processedOf(before);
    await processedOf(after);
    await waitUntil('the poison event quarantined', async () => quarantined.length >= 1, 30_000);
    expect(quarantined).toHaveLength(1);
    expect(quarantined[0]).toMatchObject({ event_id: poison.event_id, code: 'quarantined' });
    expect(quarantined[0]?.message).toMatch(/processing failed deterministically: .*WRONGTYPE/);
    expect(quarantined[0]?.raw).toMatchObject({ event_id: poison.event_id });

    // The cause fixed, a re-drive sends the quarantined event again: it is stored once, and
    // the records that are still no events stay in pulse.dlq.
    const fix = new Redis(redis.url);
    await fix.del('identity-sources:{cust_poison}:u_poison');
    await fix.quit();
    const redrive = { brokers: [broker.brokers], groupId: 'redrive-test' };
    expect(await redriveFromKafka(redrive)).toEqual({ redriven: 1, skipped: 3 });
    await processedOf(poison);
    expect(await backend.warehouse.eventCount('cust_poison')).toBe(3);
    // A second run finds nothing new: pulse.dlq was read to its end.
    expect(await redriveFromKafka(redrive)).toEqual({ redriven: 0, skipped: 0 });
  });

  it('stores a history import of 101 days sent as one batch', async () => {
    const day = 86_400_000;
    const start = Date.UTC(2025, 0, 1, 9);
    const history = Array.from({ length: 101 }, (_, i) => {
      const at = new Date(start + i * day).toISOString();
      return pulseEvent('cust_history', {
        event_type: 'custom',
        timestamp: at,
        original_timestamp: at,
      });
    });
    await sendEvents(history);
    for (const event of history) await processedOf(event);
    expect(await backend.warehouse.eventCount('cust_history')).toBe(101);
  });

  it('retries through a Redis outage without quarantining anything', async () => {
    quarantined.length = 0;
    const port = Number(new URL(redis.url).port);
    const failedBefore = backend.status().processor.failed;
    await redis.stop();
    const during = pulseEvent('cust_outage', { event_type: 'custom' });
    await sendEvents([during]);
    // The batch fails while Redis is down (transiently); then Redis is back at its address.
    await waitUntil(
      'a failed attempt while Redis is down',
      async () => backend.status().processor.failed > failedBefore,
      30_000,
    );
    redis = await startRedis(port);
    await processedOf(during);
    expect(quarantined).toEqual([]);
  });
});
