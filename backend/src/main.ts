/**
 * The backend as a process, configured by the environment: every variable is declared, with its
 * default and meaning, in `BACKEND_ENV` (config/env.ts; the table is docs/configuration.md), and
 * a bad value stops the start with a message naming it.
 * Prints one JSON line `{"ready":{url, opsUrl, roles}}` when it is serving. For tests that drive
 * a processor in a child process: PULSE_LOG_BATCHES=1 prints one `{"batch":…}` line per batch
 * published (at least once), and PULSE_TICKS_FROM_PARENT=1 takes `{"tick": ms}` messages on the
 * IPC channel of its parent as clock ticks (not stdin: the embedded warehouse detaches it, see
 * `openChdbClient`). SIGUSR2 prints one `{"status":…}` line: the processor's current step and the
 * consumer's state. It exits 1 when the Kafka consumer stops for good, for its supervisor to
 * start it again.
 */
import { resolve } from 'node:path';
import { BACKEND_ENV, ConfigError, readEnv } from './config/env';
import { readExportDestinations } from './config/export-destinations';
import { topicSettingsFromEnv } from './kafka/topics';
import { startBackend } from './start-backend';
import { LeaseLostError } from './processor/processor-lease';
import { fileStore } from './warehouse/file-store';

function readOrExit<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`${error.message}\n(every variable: docs/configuration.md)`);
    process.exit(2);
  }
}
const env = readOrExit(() => readEnv(BACKEND_ENV, process.env));
// For the buckets of PULSE_ARCHIVE_URL and PULSE_EXPORT_URL; unsigned without.
const credentials =
  env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
    ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY }
    : undefined;
const roles = env.PULSE_ROLES;

const backend = await startBackend({
  dataDir: env.PULSE_DATA_DIR,
  port: env.PORT,
  ingestSecret: env.INGEST_SECRET,
  kafkaBrokers: env.KAFKA_BROKERS,
  topics: topicSettingsFromEnv(process.env),
  redisUrl: env.REDIS_URL,
  redisClusterNodes: env.REDIS_CLUSTER_NODES,
  clickhouseUrl: env.CLICKHOUSE_URL,
  roles: { ingest: roles.includes('ingest'), processor: roles.includes('processor') },
  tickMs: env.PULSE_TICK_MS,
  groupId: env.PULSE_GROUP_ID,
  engine: env.PULSE_ENGINE,
  sessionTimeoutMs: env.PULSE_SESSION_TIMEOUT_MS,
  processorLeaseMs: env.PULSE_PROCESSOR_LEASE_MS,
  ttl: env.PULSE_WAREHOUSE_TTL !== '0',
  allowPrivateWebhooks: env.PULSE_WEBHOOKS_ALLOW_PRIVATE === '1',
  apiKeys: env.PULSE_API_KEYS,
  onFatal: () => process.exit(1),
  opsPort: env.PULSE_OPS_PORT,
  opsHostname: env.PULSE_OPS_HOST,
  otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
  exportDestinations: env.PULSE_EXPORT_DESTINATIONS
    ? readOrExit(() => readExportDestinations(env.PULSE_EXPORT_DESTINATIONS!))
    : undefined,
  exportTo: env.PULSE_EXPORT_URL
    ? fileStore(env.PULSE_EXPORT_URL, credentials)
    : env.PULSE_EXPORT_DIR
      ? fileStore(resolve(env.PULSE_EXPORT_DIR))
      : undefined,
  alertWebhook: env.PULSE_ALERT_WEBHOOK,
  archive: env.PULSE_ARCHIVE_URL
    ? fileStore(env.PULSE_ARCHIVE_URL, credentials)
    : env.PULSE_ARCHIVE_DIR === 'off'
      ? null
      : env.PULSE_ARCHIVE_DIR
        ? fileStore(resolve(env.PULSE_ARCHIVE_DIR))
        : undefined,
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

if (env.PULSE_TICKS_FROM_PARENT === '1') {
  if (!process.send)
    throw new Error('PULSE_TICKS_FROM_PARENT=1 needs an IPC channel to the parent');
  // One tick at a time, in the order sent, as the parent waits for each answer.
  let ticks = Promise.resolve();
  /** The tick, once this process leads: ticks stand for the leader's clock (a standby's fail). */
  const tickWhenLeading = async (at: number) => {
    for (;;) {
      try {
        return await backend.processor.tick(at);
      } catch (error) {
        if (!(error instanceof LeaseLostError)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  };
  process.on('message', (message: { tick: number }) => {
    ticks = ticks.then(async () => {
      try {
        const batch = await tickWhenLeading(message.tick);
        console.log(JSON.stringify({ tick: { at: message.tick, changes: batch.changes } }));
      } catch (error) {
        console.log(JSON.stringify({ tick: { at: message.tick, error: String(error) } }));
      }
    });
  });
}
