import { Kafka, logLevel, type Admin, type ITopicConfig } from 'kafkajs';
import { EVENT_TYPES, type EventType } from '@pulse/contract';
import { kafkaBrokers } from './brokers';

/** Topic names of docs/architecture.md, "Kafka". */
export const TOPICS = {
  events: (type: EventType) => `pulse.events.${type}`,
  dlq: 'pulse.dlq',
  identity: 'pulse.identity',
  segments: 'pulse.segments',
  /** Membership ends of the Flink engine (contract MemberEnd), for its loader. */
  memberships: 'pulse.memberships',
  /** Profiles deleted through the profile API (contract ProfileDeletion), for the Flink job. */
  deletions: 'pulse.deletions',
  /** Segments defined, redefined or deleted through the segment API, for the Flink job. */
  definitions: 'pulse.definitions',
  /** What the Flink job did with them (contract DefinitionAck), for the segment API. */
  definitionsApplied: 'pulse.definitions.applied',
} as const;

export const ALL_TOPICS = [
  ...EVENT_TYPES.map(TOPICS.events),
  TOPICS.dlq,
  TOPICS.identity,
  TOPICS.segments,
  TOPICS.memberships,
  TOPICS.deletions,
  TOPICS.definitions,
  TOPICS.definitionsApplied,
];

/**
 * Partition batches a consumer hands to its handler at once (kafkajs
 * `partitionsConsumedConcurrently`): more than the event topics and `pulse.dlq` hold in any
 * layout here (6 topics of 6 or 12 partitions), so the batches of one fetch share a warehouse
 * write instead of queueing behind one another. With 12, the processor's steady 1K events/s
 * took p50/p99 298-400 / 1,257-1,323 ms from the edge's 200 to durable; with 128, 148-162 /
 * 482-586 ms (`npm run bench latency`, alternating runs).
 */
export const PARTITIONS_AT_ONCE = 128;

export interface TopicSettings {
  partitions: number;
  /** 3 in production; 1 on a single test broker. */
  replicationFactor: number;
  /** 2 in production, so acks=all means two copies. */
  minInsyncReplicas: number;
  retentionMs: number;
}

export const PRODUCTION_TOPICS: TopicSettings = {
  partitions: 12,
  replicationFactor: 3,
  minInsyncReplicas: 2,
  retentionMs: 7 * 24 * 60 * 60 * 1000,
};

/** One local broker (`npm run dev` with KAFKA_BROKERS, the tests): no copies to wait for. */
export const SINGLE_BROKER_TOPICS: TopicSettings = {
  partitions: 6,
  replicationFactor: 1,
  minInsyncReplicas: 1,
  retentionMs: PRODUCTION_TOPICS.retentionMs,
};

/**
 * Topic settings from the environment of a backend process: PRODUCTION_TOPICS unless
 * `PULSE_KAFKA_REPLICATION` (and optionally `PULSE_KAFKA_MIN_INSYNC`,
 * `PULSE_KAFKA_PARTITIONS`) say otherwise; `min.insync.replicas` defaults to one less than
 * the replication factor (at least 1), so acks=all waits for every copy but one.
 * A value that is not a positive whole number is refused at start.
 */
export function topicSettingsFromEnv(env: Record<string, string | undefined>): TopicSettings {
  const read = (name: string, fallback: number) => {
    const text = env[name];
    if (text === undefined || text === '') return fallback;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`${name} must be a positive whole number, not ${JSON.stringify(text)}`);
    }
    return value;
  };
  const replicationFactor = read('PULSE_KAFKA_REPLICATION', PRODUCTION_TOPICS.replicationFactor);
  const minInsyncReplicas = read('PULSE_KAFKA_MIN_INSYNC', Math.max(1, replicationFactor - 1));
  if (minInsyncReplicas > replicationFactor) {
    throw new Error('PULSE_KAFKA_MIN_INSYNC cannot exceed PULSE_KAFKA_REPLICATION');
  }
  return {
    ...PRODUCTION_TOPICS,
    partitions: read('PULSE_KAFKA_PARTITIONS', PRODUCTION_TOPICS.partitions),
    replicationFactor,
    minInsyncReplicas,
  };
}

/**
 * Creates the topics Pulse needs; idempotent: existing topics are left as they are, so it is
 * safe to run at every start. Returns the names it created.
 */
export async function ensureTopics(admin: Admin, settings: TopicSettings): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = ALL_TOPICS.filter((t) => !existing.has(t));
  if (!missing.length) return [];
  const topics: ITopicConfig[] = missing.map((topic) => ({
    topic,
    numPartitions: settings.partitions,
    replicationFactor: settings.replicationFactor,
    configEntries: [
      { name: 'retention.ms', value: String(settings.retentionMs) },
      { name: 'min.insync.replicas', value: String(settings.minInsyncReplicas) },
    ],
  }));
  try {
    await admin.createTopics({ topics, waitForLeaders: true });
  } catch (error) {
    // Another instance may have created them in the meantime; only a real gap is an error.
    const now = new Set(await admin.listTopics());
    if (missing.some((t) => !now.has(t))) throw error;
  }
  await leadersAnswer(admin, missing);
  return missing;
}

/** How long `ensureTopics` waits for the new partitions' leaders to answer. */
const LEADERS_WAIT_MS = 30_000;

/**
 * A new partition's leader may refuse requests for a moment (NOT_LEADER_OR_FOLLOWER) after the
 * metadata names it: a produce right after then failed its retries, and ingest answered 503 to
 * the first requests of a fresh deployment. Offsets are answered by each partition's leader
 * itself: asked until every one does (a bounded wait).
 */
async function leadersAnswer(admin: Admin, topics: readonly string[]): Promise<void> {
  const deadline = Date.now() + LEADERS_WAIT_MS;
  for (;;) {
    try {
      await Promise.all(topics.map((topic) => admin.fetchTopicOffsets(topic)));
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`new topics' leaders did not answer within ${LEADERS_WAIT_MS} ms`, {
          cause: error,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** `ensureTopics` with its own short-lived admin client: what a process runs at start. */
export async function setUpTopics(brokers: string[], settings: TopicSettings): Promise<string[]> {
  const admin = new Kafka({
    clientId: 'pulse-topic-setup',
    ...kafkaBrokers(brokers),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    return await ensureTopics(admin, settings);
  } finally {
    await admin.disconnect();
  }
}
