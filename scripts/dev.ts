/**
 * `npm run dev`: the embedded default. Backend ingest on Node (durable file log under .pulse/,
 * or Kafka when KAFKA_BROKERS is set), the edge under `wrangler dev`, and the playground demo
 * site instrumented with the snippet. No Kafka, Redis or Java needed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Sink } from '@pulse/contract';
import { startIngest } from '@pulse/backend/ingest';
import { createFileLogSink } from '@pulse/backend/sinks/file-log';
import { createKafkaSink } from '@pulse/backend/sinks/kafka';
import { setUpTopics } from '@pulse/backend/kafka/topics';
import { startPlayground } from '@pulse/playground/server';

const root = fileURLToPath(new URL('..', import.meta.url));
const edgeDir = `${root}edge`;
const EDGE_PORT = Number(process.env.EDGE_PORT ?? 8787);
const INGEST_PORT = Number(process.env.INGEST_PORT ?? 8788);
const SITE_PORT = Number(process.env.SITE_PORT ?? 5173);
const INGEST_SECRET = process.env.INGEST_SECRET ?? 'dev-ingest-secret';
const DEMO_KEY = 'pk_demo';
const DEMO_CONFIG = {
  customer_id: 'cust_demo',
  allowed_origins: [`http://127.0.0.1:${SITE_PORT}`, `http://localhost:${SITE_PORT}`],
  rate: { per_second: 1000, burst: 10000 },
  routing: 'new',
};

async function sinkFromEnv(): Promise<{ sink: Sink; where: string }> {
  const brokers = process.env.KAFKA_BROKERS?.split(',').filter(Boolean);
  if (!brokers?.length) {
    const path = `${root}.pulse/ingest-log.ndjson`;
    return { sink: createFileLogSink(path), where: `durable log ${path}` };
  }
  await setUpTopics(brokers, {
    partitions: 6,
    replicationFactor: 1,
    minInsyncReplicas: 1,
    retentionMs: 7 * 864e5,
  });
  return { sink: createKafkaSink({ brokers }), where: `Kafka ${brokers.join(',')}` };
}

const children: ChildProcess[] = [];
const shutdown = () => {
  for (const child of children) child.kill('SIGTERM');
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);

const { sink, where } = await sinkFromEnv();
const ingest = await startIngest({ port: INGEST_PORT, secret: INGEST_SECRET, sink });

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
    `INGEST_URL:${ingest.url}/internal/ingest`,
    '--var',
    `INGEST_SECRET:${INGEST_SECRET}`,
  ],
  { cwd: edgeDir, stdio: ['ignore', 'pipe', 'inherit'] },
);
children.push(edge);
const edgeUrl = `http://127.0.0.1:${EDGE_PORT}`;
await new Promise<void>((resolve, reject) => {
  edge.stdout?.on('data', (chunk: Buffer) => {
    if (chunk.toString().includes('Ready on')) resolve();
  });
  edge.once('exit', (code) => reject(new Error(`wrangler dev exited with ${code}`)));
});

const site = await startPlayground({ port: SITE_PORT, endpoint: edgeUrl, key: DEMO_KEY });

console.log(`
Pulse is running (embedded mode)
  demo site   ${site.url}            (instrumented with the snippet, key ${DEMO_KEY})
  edge        ${edgeUrl}/v1/events   (wrangler dev; Segment API at /v1/batch, /v1/track, …)
  ingest      ${ingest.url}/internal/ingest → ${where}
Press Ctrl+C to stop.
`);
