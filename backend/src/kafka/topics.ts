import { Kafka, logLevel, type Admin, type ITopicConfig } from 'kafkajs';
import { EVENT_TYPES, type EventType } from '@pulse/contract';

/** Topic names of shared/DESIGN.md, "Kafka". */
export const TOPICS = {
  events: (type: EventType) => `pulse.events.${type}`,
  dlq: 'pulse.dlq',
  identity: 'pulse.identity',
  segments: 'pulse.segments',
} as const;

export const ALL_TOPICS = [
  ...EVENT_TYPES.map(TOPICS.events),
  TOPICS.dlq,
  TOPICS.identity,
  TOPICS.segments,
];

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
  return missing;
}

/** `ensureTopics` with its own short-lived admin client: what a process runs at start. */
export async function setUpTopics(brokers: string[], settings: TopicSettings): Promise<string[]> {
  const admin = new Kafka({
    clientId: 'pulse-topic-setup',
    brokers,
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    return await ensureTopics(admin, settings);
  } finally {
    await admin.disconnect();
  }
}
