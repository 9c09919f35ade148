import type { TopicSettings } from '../../backend/src/kafka/topics';

/** The topics of every bench broker: one local broker, 6 partitions, an hour of retention. */
export const BENCH_TOPICS: TopicSettings = {
  partitions: 6,
  replicationFactor: 1,
  minInsyncReplicas: 1,
  retentionMs: 3600_000,
};
