import type { Sink } from '@pulse/contract';
import { kafkaReadiness } from '@pulse/backend/ops/kafka-readiness';
import { startOpsServer, type ReadinessCheck } from '@pulse/backend/ops';
import { createKafkaSink } from '@pulse/backend/sinks/kafka';
import { createMemoryConfigStore } from '../../config/memory-config-store';
import { createHttpDecideBackend, decideBaseUrl } from '../../routes/decide-backend';
import { createHttpIngestSink } from '../../sinks/http-ingest-sink';
import { createFileConfigStore, createPrometheusObserver, startNodeEdge } from '.';

/**
 * `node --import tsx edge/src/adapters/node/main.ts`: the Node edge sending to backend ingest,
 * or, with KAFKA_BROKERS set, producing to Kafka itself with backend's KafkaSink (the same code
 * ingest uses: idempotent, acks=all). Env: PULSE_KEYS_FILE (JSON file of write key → config, re-read every 10 s) or PULSE_KEYS
 * (the same JSON inline), INGEST_URL, INGEST_SECRET, IP_SALT_SECRET, PORT (default 8787),
 * DECIDE_URL (base URL of the backend's GET /v1/decide; default: the origin of INGEST_URL),
 * HOST (default 127.0.0.1), TRUST_PROXY=1 behind a load balancer, PULSE_OPS_PORT (operations
 * server: /healthz, /readyz, /metrics; 0 picks a free port; none when unset) and PULSE_OPS_HOST.
 */
function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const config = process.env.PULSE_KEYS_FILE
  ? createFileConfigStore(process.env.PULSE_KEYS_FILE)
  : createMemoryConfigStore(JSON.parse(required('PULSE_KEYS')) as Record<string, unknown>);

const brokers = process.env.KAFKA_BROKERS?.split(',').filter(Boolean);
const sink: Sink = brokers?.length
  ? createKafkaSink({ brokers, clientId: 'pulse-edge' })
  : createHttpIngestSink({ url: required('INGEST_URL'), secret: required('INGEST_SECRET') });

const prometheus = process.env.PULSE_OPS_PORT ? createPrometheusObserver() : undefined;
const edge = await startNodeEdge({
  observer: prometheus?.observer,
  port: Number(process.env.PORT ?? 8787),
  hostname: process.env.HOST ?? '127.0.0.1',
  config,
  sink,
  ipSaltSecret: required('IP_SALT_SECRET'),
  trustProxy: process.env.TRUST_PROXY === '1',
  decide:
    process.env.DECIDE_URL || process.env.INGEST_URL
      ? createHttpDecideBackend({
          baseUrl: process.env.DECIDE_URL || decideBaseUrl(required('INGEST_URL')),
          secret: required('INGEST_SECRET'),
        })
      : undefined,
});

// Ready when the place events go answers: the broker, or backend ingest.
const kafka = brokers?.length ? kafkaReadiness(brokers) : undefined;
const sinkReachable: ReadinessCheck =
  kafka?.check ??
  (async () => {
    const res = await fetch(new URL('/healthz', required('INGEST_URL')));
    if (!res.ok) throw new Error(`backend ingest answered ${res.status}`);
  });
const ops = prometheus
  ? await startOpsServer({
      port: Number(process.env.PULSE_OPS_PORT),
      hostname: process.env.PULSE_OPS_HOST || undefined,
      registry: prometheus.registry,
      checks: { sink: sinkReachable },
    })
  : undefined;
console.log(`pulse edge (node) on ${edge.url}${ops ? `, operations on ${ops.url}` : ''}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(
    signal,
    () =>
      void Promise.all([edge.close(), ops?.close(), kafka?.close()]).then(() => process.exit(0)),
  );
}
