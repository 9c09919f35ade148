import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdentityLink, SegmentChange } from '@pulse/contract';
import { TOPICS } from '../../backend/src/kafka/topics';
import { createKafkaSink, type KafkaSink } from '../../backend/src/sinks/kafka-sink';
import { startBackend, type Backend } from '../../backend/src/start-backend';
import { missingService, waitUntil } from '../services/free-port';
import { kafkaToolsAvailable, startKafka, type KafkaBroker } from '../services/kafka/broker';
import { redisUnavailable, startRedis, type RedisServer } from '../services/redis';
import { startRedisCluster, type RedisCluster } from '../services/redis-cluster';
import { loadVectors } from '../vectors/load';
import { checkVector, scopeVector, type VectorHarness } from './check-vector';

const why = (await kafkaToolsAvailable()) ?? redisUnavailable();
const skip = why ? missingService('Kafka and Redis', why) === 'skip' : false;

/** Where the state lives: one redis-server, or a Redis Cluster of three (production's mode). */
type RedisMode = 'a Redis node' | 'a Redis Cluster';

/**
 * Scale mode against every vector: events go through a real Kafka broker (as ingest writes
 * them) to the processor's consumer group, with state in a real redis-server (and again in a
 * real three-node Redis Cluster, where a MULTI across slots fails) and the warehouse in chdb.
 * Each event is produced after the previous one was processed, so the stream order is the
 * vector's order.
 */
describe.skipIf(skip).each<RedisMode>(['a Redis node', 'a Redis Cluster'])(
  'processing vectors, Kafka + Redis mode, state in %s',
  (mode) => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-vectors-kafka-'));
    let broker: KafkaBroker;
    let redis: RedisServer | RedisCluster;
    let backend: Backend;
    let sink: KafkaSink;
    let harness: VectorHarness;
    let processed = 0;
    let changes: SegmentChange[] = [];
    const allChanges: SegmentChange[] = [];
    const allLinks = new Set<string>();
    const linkKey = (l: IdentityLink) =>
      JSON.stringify([l.customer_id, l.source_id, l.user_id, l.event_id]);

    beforeAll(async () => {
      [broker, redis] = await Promise.all([
        startKafka(),
        mode === 'a Redis Cluster' ? startRedisCluster() : startRedis(),
      ]);
      backend = await startBackend({
        dataDir: dir,
        port: 0,
        ingestSecret: 'vectors',
        kafkaBrokers: [broker.brokers],
        ...('url' in redis ? { redisUrl: redis.url } : { redisClusterNodes: redis.nodes }),
        roles: { ingest: false },
        tickMs: 0,
        ttl: false,
        onBatch: (batch) => {
          processed += batch.events;
          changes.push(...batch.changes);
          allChanges.push(...batch.changes);
          for (const link of batch.links) allLinks.add(linkKey(link));
        },
      });
      // The processor leads a moment after the start (it takes its lease, then joins the
      // group); a tick before that would be refused by the lease's fence.
      await waitUntil(
        'the processor to lead and join its group',
        async () => backend.status().consumer?.joined === true,
        60_000,
      );
      sink = createKafkaSink({ brokers: [broker.brokers] });
      let produced = 0;
      harness = {
        store: backend.store,
        warehouse: backend.warehouse,
        feed: async (item) => {
          changes = [];
          if ('tick' in item) return (await backend.processor.tick(item.tick)).changes;
          await sink.write({
            customer_id: item.event.customer_id,
            events: [item.event],
            dead_letters: [],
          });
          produced += 1;
          const until = Date.now() + 30_000;
          while (processed < produced) {
            if (Date.now() > until)
              throw new Error(`event ${item.event.event_id} not processed in 30 s`);
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
          return changes;
        },
      };
    });
    afterAll(async () => {
      await sink?.close();
      await backend?.stop();
      await Promise.all([broker?.stop(), redis?.stop()]);
      rmSync(dir, { recursive: true, force: true });
    });

    for (const [index, vector] of loadVectors().entries()) {
      it(`${vector.name}: ${vector.description}`, async () => {
        await checkVector(harness, scopeVector(vector, `kafka${index}`));
      });
    }

    it('publishes every change to pulse.segments and every link to pulse.identity', async () => {
      const kafka = new Kafka({ brokers: [broker.brokers], logLevel: logLevel.NOTHING });
      const consumer = kafka.consumer({ groupId: 'vectors-reader' });
      const published: SegmentChange[] = [];
      const links = new Set<string>();
      await consumer.connect();
      await consumer.subscribe({ topics: [TOPICS.segments, TOPICS.identity], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ topic, message }) => {
          if (topic === TOPICS.identity)
            links.add(linkKey(JSON.parse(String(message.value)) as IdentityLink));
          else published.push(JSON.parse(String(message.value)) as SegmentChange);
        },
      });
      const until = Date.now() + 30_000;
      while (
        (published.length < allChanges.length || links.size < allLinks.size) &&
        Date.now() < until
      ) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await consumer.disconnect();
      const key = (c: SegmentChange) =>
        JSON.stringify([c.customer_id, c.segment_id, c.id, c.change, c.at, c.reason]);
      expect(allChanges.length).toBeGreaterThan(20);
      expect(new Set(published.map(key))).toEqual(new Set(allChanges.map(key)));
      expect(allLinks.size).toBeGreaterThan(10);
      expect(links).toEqual(allLinks);
    });
  },
);
