/**
 * The backend as a process, configured by the environment:
 *   PULSE_DATA_DIR (default .pulse), PORT (default 8788), INGEST_SECRET,
 *   KAFKA_BROKERS, REDIS_URL, CLICKHOUSE_URL (each optional: embedded when absent),
 *   PULSE_ROLES (`ingest,processor`), PULSE_TICK_MS (default 1000), PULSE_GROUP_ID.
 * Prints one JSON line `{"ready":…}` when it is serving, and one `{"batch":…}` line per
 * processed batch when PULSE_LOG_BATCHES=1.
 */
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
  redisUrl: env.REDIS_URL || undefined,
  clickhouseUrl: env.CLICKHOUSE_URL || undefined,
  roles: { ingest: roles.includes('ingest'), processor: roles.includes('processor') },
  tickMs: Number(env.PULSE_TICK_MS ?? 1000),
  groupId: env.PULSE_GROUP_ID,
  ttl: env.PULSE_WAREHOUSE_TTL !== '0',
  onBatch:
    env.PULSE_LOG_BATCHES === '1'
      ? (batch) =>
          console.log(
            JSON.stringify({ batch: { events: batch.events, changes: batch.changes.length } }),
          )
      : undefined,
});
console.log(JSON.stringify({ ready: { url: backend.url, roles } }));

const stop = async () => {
  await backend.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
