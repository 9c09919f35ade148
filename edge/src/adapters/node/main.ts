import { pino } from 'pino';
import type { Sink } from '@pulse/contract';
import { ConfigError, NODE_EDGE_ENV, readEnv } from '@pulse/backend/config/env';
import { kafkaReadiness } from '@pulse/backend/ops/kafka-readiness';
import { startOpsServer, type ReadinessCheck } from '@pulse/backend/ops';
import { createKafkaSink } from '@pulse/backend/sinks/kafka';
import { createTracing, SpanKind } from '@pulse/backend/tracing';
import { createMemoryConfigStore } from '../../config/memory-config-store';
import { createHttpDecideBackend, decideBaseUrl } from '../../routes/decide-backend';
import { withDecideCache } from '../../routes/decide-cache';
import { createHttpIngestSink } from '../../sinks/http-ingest-sink';
import {
  createFileConfigStore,
  createPrometheusObserver,
  createUndiciPost,
  startNodeEdge,
} from '.';

/**
 * `node --import tsx edge/src/adapters/node/main.ts`: the Node edge sending to backend ingest,
 * or, with KAFKA_BROKERS set, producing to Kafka itself with backend's KafkaSink (the same code
 * ingest uses: idempotent, acks=all). Every variable is declared in `NODE_EDGE_ENV`
 * (backend/src/config/env.ts; the table is docs/configuration.md); a bad value stops the start
 * with a message naming it.
 */
function readConfig() {
  try {
    const env = readEnv(NODE_EDGE_ENV, process.env);
    const missing = [
      ...(env.PULSE_KEYS_FILE || env.PULSE_KEYS ? [] : ['PULSE_KEYS_FILE or PULSE_KEYS']),
      ...(env.KAFKA_BROKERS || env.INGEST_URL ? [] : ['INGEST_URL (or KAFKA_BROKERS)']),
      ...(env.KAFKA_BROKERS || env.INGEST_SECRET ? [] : ['INGEST_SECRET']),
    ];
    if (missing.length) {
      throw new ConfigError(
        `invalid configuration:\n${missing.map((m) => `  ${m}: required`).join('\n')}`,
      );
    }
    return env;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`${error.message}\n(every variable: docs/configuration.md)`);
    process.exit(2);
  }
}
const env = readConfig();

const log = pino(
  { name: 'pulse-edge', level: env.PULSE_LOG_LEVEL },
  pino.destination({ fd: 2, sync: true }),
);
const config = env.PULSE_KEYS_FILE
  ? createFileConfigStore(env.PULSE_KEYS_FILE, { log })
  : createMemoryConfigStore(env.PULSE_KEYS ?? {});

const brokers = env.KAFKA_BROKERS;
const sink: Sink = brokers?.length
  ? createKafkaSink({ brokers, clientId: 'pulse-edge' })
  : createHttpIngestSink({
      url: env.INGEST_URL ?? '',
      secret: env.INGEST_SECRET ?? '',
      post: createUndiciPost(),
    });

const prometheus = env.PULSE_OPS_PORT === undefined ? undefined : createPrometheusObserver();
const decideUrl = env.DECIDE_URL ?? (env.INGEST_URL ? decideBaseUrl(env.INGEST_URL) : undefined);
const tracing = createTracing({
  endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
  serviceName: 'pulse-edge',
});
const edge = await startNodeEdge({
  observer: prometheus?.observer,
  log,
  spans: env.OTEL_EXPORTER_OTLP_ENDPOINT
    ? {
        inSpan: (name, parent, attributes, work) =>
          tracing.inSpan(name, SpanKind.SERVER, parent, attributes, work),
      }
    : undefined,
  port: env.PORT,
  hostname: env.HOST,
  config,
  sink,
  ipSaltSecret: env.IP_SALT_SECRET,
  trustProxy: env.TRUST_PROXY === '1',
  // Decide is signed with the ingest secret; without one the edge answers decide with 503.
  decide:
    decideUrl && env.INGEST_SECRET
      ? withDecideCache(
          createHttpDecideBackend({ baseUrl: decideUrl, secret: env.INGEST_SECRET, log }),
          env.DECIDE_CACHE_MS,
        )
      : undefined,
});

// Ready when the place events go answers: the broker, or backend ingest.
const kafka = brokers?.length ? kafkaReadiness(brokers) : undefined;
const sinkReachable: ReadinessCheck =
  kafka?.check ??
  (async () => {
    const res = await fetch(new URL('/healthz', env.INGEST_URL));
    if (!res.ok) throw new Error(`backend ingest answered ${res.status}`);
  });
const ops =
  prometheus && env.PULSE_OPS_PORT !== undefined
    ? await startOpsServer({
        port: env.PULSE_OPS_PORT,
        hostname: env.PULSE_OPS_HOST,
        registry: prometheus.registry,
        checks: { sink: sinkReachable },
      })
    : undefined;
console.log(`pulse edge (node) on ${edge.url}${ops ? `, operations on ${ops.url}` : ''}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(
    signal,
    () =>
      void Promise.all([edge.close(), ops?.close(), kafka?.close()])
        .then(() => tracing.shutdown())
        .then(() => process.exit(0)),
  );
}
