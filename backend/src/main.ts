/**
 * The backend as a process, configured by the environment:
 *   PULSE_DATA_DIR (default .pulse), PORT (default 8788), INGEST_SECRET,
 *   KAFKA_BROKERS, REDIS_URL or REDIS_CLUSTER_NODES (`host:port,…` of a Redis Cluster),
 *   CLICKHOUSE_URL (each optional: embedded when absent),
 *   PULSE_ROLES (`ingest,processor`), PULSE_TICK_MS (default 1000), PULSE_GROUP_ID,
 *   PULSE_SESSION_TIMEOUT_MS (Kafka consumer session), PULSE_WAREHOUSE_TTL (`0`: no TTL),
 *   PULSE_API_KEYS (`{"sk_…":"cust_…"}`: secret keys of the query APIs),
 *   PULSE_KAFKA_REPLICATION / PULSE_KAFKA_MIN_INSYNC / PULSE_KAFKA_PARTITIONS (topics it
 *   creates: 3 / 2 / 12 by default, as production needs; 1 on a single local broker),
 *   PULSE_OPS_PORT (operations server: /healthz, /readyz, /metrics; 0 picks a free port; none
 *   when unset) and PULSE_OPS_HOST (default 127.0.0.1), PULSE_LOG_LEVEL (pino, default info).
 * Prints one JSON line `{"ready":{url, opsUrl, roles}}` when it is serving. For tests that drive a processor in
 * a child process: PULSE_LOG_BATCHES=1 prints one `{"batch":…}` line per batch published (at least once), and
 * PULSE_TICKS_FROM_STDIN=1 reads `{"tick": ms}` lines from stdin as clock ticks.
 * SIGUSR2 prints one `{"status":…}` line: the processor's current step and the consumer's state.
 * It exits 1 when the Kafka consumer stops for good, for its supervisor to start it again.
 */
import { createInterface } from 'node:readline';
import { topicSettingsFromEnv } from './kafka/topics';
import { startBackend } from './start-backend';

const env = process.env;
const roles = (env.PULSE_ROLES ?? 'ingest,processor').split(',');
const secret = env.INGEST_SECRET;
if (!secret) {
  console.error('INGEST_SECRET is required (the HMAC secret shared with the edge)');
  process.exit(2);
}

const backend = await startBackend({
  dataDir: env.PULSE_DATA_DIR ?? '.pulse',
  port: Number(env.PORT ?? 8788),
  ingestSecret: secret,
  kafkaBrokers: env.KAFKA_BROKERS?.split(','),
  topics: topicSettingsFromEnv(env),
  redisUrl: env.REDIS_URL || undefined,
  redisClusterNodes: env.REDIS_CLUSTER_NODES?.split(','),
  clickhouseUrl: env.CLICKHOUSE_URL || undefined,
  roles: { ingest: roles.includes('ingest'), processor: roles.includes('processor') },
  tickMs: Number(env.PULSE_TICK_MS ?? 1000),
  groupId: env.PULSE_GROUP_ID,
  sessionTimeoutMs: env.PULSE_SESSION_TIMEOUT_MS ? Number(env.PULSE_SESSION_TIMEOUT_MS) : undefined,
  ttl: env.PULSE_WAREHOUSE_TTL !== '0',
  allowPrivateWebhooks: env.PULSE_WEBHOOKS_ALLOW_PRIVATE === '1',
  apiKeys: env.PULSE_API_KEYS ? (JSON.parse(env.PULSE_API_KEYS) as Record<string, string>) : {},
  onFatal: () => process.exit(1),
  opsPort: env.PULSE_OPS_PORT ? Number(env.PULSE_OPS_PORT) : undefined,
  opsHostname: env.PULSE_OPS_HOST || undefined,
  onPublished:
    env.PULSE_LOG_BATCHES === '1'
      ? (batch) =>
          console.log(
            JSON.stringify({ batch: { events: batch.eventKeys, changes: batch.changes } }),
          )
      : undefined,
});
const stop = async () => {
  // A stop that hangs (a broker gone away) must not keep the process: its supervisor waits.
  setTimeout(() => process.exit(1), 20_000).unref();
  await backend.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
// What the processor and its consumer are doing now, as one JSON line (a stuck step shows).
process.on('SIGUSR2', () => console.log(JSON.stringify({ status: backend.status() })));
console.log(JSON.stringify({ ready: { url: backend.url, opsUrl: backend.opsUrl, roles } }));

if (env.PULSE_TICKS_FROM_STDIN === '1') {
  for await (const line of createInterface({ input: process.stdin })) {
    const { tick } = JSON.parse(line) as { tick: number };
    try {
      const batch = await backend.processor.tick(tick);
      console.log(JSON.stringify({ tick: { at: tick, changes: batch.changes } }));
    } catch (error) {
      console.log(JSON.stringify({ tick: { at: tick, error: String(error) } }));
    }
  }
}
