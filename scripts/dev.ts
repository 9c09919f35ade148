/**
 * `npm run dev`: the embedded default. One Node process runs ingest and the processor, with
 * the warehouse in chdb and the state in LMDB under .pulse/ (Kafka, Redis and a ClickHouse
 * server instead when KAFKA_BROKERS, REDIS_URL, CLICKHOUSE_URL are set); the edge runs under
 * `wrangler dev`; the playground demo site is instrumented with the snippet. No Kafka, Redis
 * or Java needed. With `PULSE_ENGINE=flink` (and KAFKA_BROKERS) the Flink job does the
 * processing in a local MiniCluster (a JVM of its own) and the backend loads its outputs.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  buildFlinkJar,
  segmentsOf,
  startFlinkJob,
  type JavaProcess,
} from '@pulse/backend/flink/job';
import { startBackend } from '@pulse/backend/start';
import { createTriggerStore } from '@pulse/backend/triggers';
import { startPlayground } from '@pulse/playground/server';

const root = fileURLToPath(new URL('..', import.meta.url));
const edgeDir = `${root}edge`;
const EDGE_PORT = Number(process.env.EDGE_PORT ?? 8787);
const INGEST_PORT = Number(process.env.INGEST_PORT ?? 8788);
const SITE_PORT = Number(process.env.SITE_PORT ?? 5173);
const INGEST_SECRET = process.env.INGEST_SECRET ?? 'dev-ingest-secret';
const DEMO_KEY = 'pk_demo';
/** The demo customer's secret key for the query APIs (GraphQL, segments). */
const DEMO_SECRET_KEY = process.env.PULSE_DEMO_SECRET_KEY ?? 'sk_demo';
/** The demo key's identity secret: the demo site's login proves the user id for decide with it. */
const DEMO_IDENTITY_SECRET = process.env.PULSE_DEMO_IDENTITY_SECRET ?? 'demo-identity-secret';
const DEMO_CONFIG = {
  customer_id: 'cust_demo',
  identity_secret: DEMO_IDENTITY_SECRET,
  allowed_origins: [`http://127.0.0.1:${SITE_PORT}`, `http://localhost:${SITE_PORT}`],
  rate: { per_second: 1000, burst: 10000 },
  routing: 'new',
};

const ENGINE = process.env.PULSE_ENGINE === 'flink' ? 'flink' : 'ts';
if (ENGINE === 'flink' && !process.env.KAFKA_BROKERS) {
  throw new Error('PULSE_ENGINE=flink needs Kafka: set KAFKA_BROKERS (and REDIS_URL)');
}

const children: ChildProcess[] = [];
let flinkJob: JavaProcess | undefined;
let stopping = false;
const shutdown = () => {
  if (stopping) return;
  stopping = true;
  // wrangler runs workerd and esbuild under npx: stop the whole process group, not only npx.
  for (const child of children) if (child.pid) process.kill(-child.pid, 'SIGTERM');
  void Promise.resolve(flinkJob?.stop())
    .then(() => backend.stop())
    .finally(() => process.exit(0));
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);

const backend = await startBackend({
  dataDir: `${root}.pulse`,
  port: INGEST_PORT,
  ingestSecret: INGEST_SECRET,
  kafkaBrokers: process.env.KAFKA_BROKERS?.split(','),
  redisUrl: process.env.REDIS_URL || undefined,
  clickhouseUrl: process.env.CLICKHOUSE_URL || undefined,
  apiKeys: { [DEMO_SECRET_KEY]: DEMO_CONFIG.customer_id },
  allowPrivateWebhooks: process.env.PULSE_WEBHOOKS_ALLOW_PRIVATE === '1',
  engine: ENGINE,
});
const ingestUrl = backend.url ?? '';
// The demo customer's segment: "viewed /pricing 3+ times in 7 days".
await backend.store.putDefinition(DEMO_CONFIG.customer_id, {
  id: 'pricing_fans',
  name: 'Viewed pricing 3+ times in 7 days',
  rule: {
    event_type: 'page_view',
    where: { 'properties.path': '/pricing' },
    min_count: 3,
    window: '7d',
  },
});
// Its client action: pages of the segment's members show an offer (playground/site/layout.html).
const seededAt = new Date().toISOString();
await createTriggerStore(backend.store).put(DEMO_CONFIG.customer_id, {
  id: 'pricing_offer',
  segment_id: 'pricing_fans',
  on: 'enter',
  action: { type: 'client', name: 'show_offer', payload: { discount: 20 } },
  created_at: seededAt,
  updated_at: seededAt,
});
if (ENGINE === 'flink') {
  // A fresh job starts from the store's definitions; the segment API hands it later ones.
  await buildFlinkJar({ whenStale: true });
  flinkJob = startFlinkJob({
    brokers: process.env.KAFKA_BROKERS?.split(',') ?? [],
    segments: await segmentsOf(backend.store),
    dir: `${root}.pulse/flink`,
  });
  void flinkJob.exited.then((code) => {
    if (stopping) return;
    console.error(`the Flink job exited (${code}):\n${flinkJob?.log().slice(-4000)}`);
    shutdown();
  });
}
const where = [
  ENGINE === 'flink' ? 'Flink job (local MiniCluster)' : 'TS processor',
  process.env.KAFKA_BROKERS ? `Kafka ${process.env.KAFKA_BROKERS}` : 'in-process (no Kafka)',
  process.env.REDIS_URL ? `Redis ${process.env.REDIS_URL}` : 'state in .pulse/state',
  process.env.CLICKHOUSE_URL
    ? `ClickHouse ${process.env.CLICKHOUSE_URL}`
    : 'chdb in .pulse/warehouse',
].join(', ');

// The demo write key, in the edge's local KV (what `wrangler kv key put` does for a deployment).
const seeded = spawnSync(
  'npx',
  [
    'wrangler',
    'kv',
    'key',
    'put',
    DEMO_KEY,
    JSON.stringify(DEMO_CONFIG),
    '--binding',
    'KEYS',
    '--local',
  ],
  { cwd: edgeDir, encoding: 'utf8' },
);
if (seeded.status !== 0) throw new Error(`could not seed the demo key: ${seeded.stderr}`);

const edge = spawn(
  'npx',
  [
    'wrangler',
    'dev',
    '--port',
    String(EDGE_PORT),
    '--var',
    `INGEST_URL:${ingestUrl}/internal/ingest`,
    '--var',
    `INGEST_SECRET:${INGEST_SECRET}`,
  ],
  { cwd: edgeDir, stdio: ['ignore', 'pipe', 'inherit'], detached: true },
);
children.push(edge);
const edgeUrl = `http://127.0.0.1:${EDGE_PORT}`;
await new Promise<void>((resolve, reject) => {
  edge.stdout?.on('data', (chunk: Buffer) => {
    if (chunk.toString().includes('Ready on')) resolve();
  });
  edge.once('exit', (code) => reject(new Error(`wrangler dev exited with ${code}`)));
});

const site = await startPlayground({
  port: SITE_PORT,
  endpoint: edgeUrl,
  key: DEMO_KEY,
  backend: { url: ingestUrl, secretKey: DEMO_SECRET_KEY },
  identitySecret: DEMO_IDENTITY_SECRET,
});

console.log(`
Pulse is running (${ENGINE === 'flink' ? 'Flink engine' : process.env.KAFKA_BROKERS ? 'Kafka' : 'embedded mode'})
  demo site   ${site.url}            (instrumented with the snippet, key ${DEMO_KEY})
  dashboard   ${site.url}/dashboard  (ranges, breakdowns, funnels, segments, profiles; live)
  edge        ${edgeUrl}/v1/events   (wrangler dev; Segment API at /v1/batch, /v1/track, …)
  backend     ${ingestUrl}/internal/ingest → processor: ${where}
  APIs        ${ingestUrl}/graphql, ${ingestUrl}/v1/segments (secret key ${DEMO_SECRET_KEY})
Press Ctrl+C to stop.
`);
