import { setUpTopics } from '../../backend/src/kafka/topics';
import { createKafkaSink, type KafkaSink } from '../../backend/src/sinks/kafka-sink';
import { createRedisStore } from '../../backend/src/state/redis-store';
import type { StateStore } from '../../backend/src/state/state-store';
import { startKafka, type KafkaBroker } from '../services/kafka/broker';
import { startRedis, type RedisServer } from '../services/redis';

/**
 * What the tests of processors in processes of their own share: a Kafka broker with Pulse's
 * topics (3 partitions each, replication 1), a redis-server, a sink that writes events to the
 * topics as ingest does, and the state store over that Redis.
 */
export interface ScaleServices {
  broker: KafkaBroker;
  redis: RedisServer;
  sink: KafkaSink;
  store: StateStore;
  stop(): Promise<void>;
}

export async function startScaleServices(): Promise<ScaleServices> {
  const [broker, redis] = await Promise.all([startKafka(), startRedis()]);
  await setUpTopics([broker.brokers], {
    partitions: 3,
    replicationFactor: 1,
    minInsyncReplicas: 1,
    retentionMs: 3600_000,
  });
  const sink = createKafkaSink({ brokers: [broker.brokers] });
  const store = createRedisStore(redis.url);
  return {
    broker,
    redis,
    sink,
    store,
    async stop() {
      await sink.close();
      await store.close();
      await Promise.all([broker.stop(), redis.stop()]);
    },
  };
}
