import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { verifyBody, SIGNATURE_HEADER } from '@pulse/contract';
import {
  startWorkersEdge,
  type WorkersEdge,
  type WorkersEdgeOptions,
} from '../services/wrangler-edge';
import { startWorkerdEdge } from '../services/workerd-edge';
import { jsonLimit, load, nativeBatch, type LoadResult } from './edge-load';
import { printTable } from './table';

const EVENTS_PER_BATCH = 50;
const SECONDS = 8;

async function nodeEdge(bodies: string[]): Promise<LoadResult & { eventsPerCpuSecond: number }> {
  const child = fork(fileURLToPath(new URL('./edge-node-server.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  try {
    const url = await new Promise<string>((resolve) =>
      child.stdout!.once('data', (d: Buffer) =>
        resolve((JSON.parse(d.toString()) as { url: string }).url),
      ),
    );
    await load(`${url}/v1/events?key=pk_bench`, bodies, EVENTS_PER_BATCH, 1); // warm-up (JIT)
    child.send('start');
    const result = await load(`${url}/v1/events?key=pk_bench`, bodies, EVENTS_PER_BATCH, SECONDS);
    const usage = new Promise<{ events: number; cpuSeconds: number }>((resolve) =>
      child.once('message', (m) => resolve(m as { events: number; cpuSeconds: number })),
    );
    child.send('stop');
    const { events, cpuSeconds } = await usage;
    // On 2 shared cores the load generator competes with the edge; per CPU-second of the edge
    // process is the figure that says how much one core of edge serves.
    return { ...result, eventsPerCpuSecond: events / cpuSeconds };
  } finally {
    child.kill();
  }
}

async function workerdEdge(
  bodies: string[],
  start: (options: WorkersEdgeOptions) => Promise<WorkersEdge>,
): Promise<LoadResult> {
  // The Workers edge forwards to ingest: here a Node server that verifies and counts.
  const secret = 'bench-ingest-secret';
  const ingest = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      void verifyBody(secret, req.headers[SIGNATURE_HEADER] as string | undefined, body).then(
        (check) => {
          res.writeHead(check.ok ? 200 : 401, { 'content-type': 'application/json' });
          res.end('{"ok":true}');
        },
      );
    });
  });
  await new Promise<void>((r) => ingest.listen(0, '127.0.0.1', r));
  const ingestUrl = `http://127.0.0.1:${(ingest.address() as AddressInfo).port}/internal/ingest`;
  const edge = await start({
    ingestUrl,
    ingestSecret: secret,
    keys: {
      pk_bench: {
        customer_id: 'cust_bench',
        allowed_origins: ['*'],
        rate: { per_second: 1e9, burst: 1e9 },
        routing: 'new',
      },
    },
  });
  try {
    const url = edge.url;
    await load(`${url}/v1/events?key=pk_bench`, bodies, EVENTS_PER_BATCH, 2); // warm-up
    return await load(`${url}/v1/events?key=pk_bench`, bodies, EVENTS_PER_BATCH, SECONDS);
  } finally {
    await edge.stop();
    ingest.close();
  }
}

/**
 * Edge throughput with 50-event batches (~550-byte events), on Node and in workerd (under
 * `wrangler dev`, and the deployable bundle without its proxy), as a ratio to the machine's
 * JSON.parse + JSON.stringify limit on one core measured in the same run.
 */
export async function benchEdge(): Promise<Record<string, unknown>> {
  const bodies = Array.from({ length: 64 }, () => nativeBatch(EVENTS_PER_BATCH));
  const bytesPerEvent = Math.round(bodies[0]!.length / EVENTS_PER_BATCH);
  const limit = jsonLimit(bodies, EVENTS_PER_BATCH);
  const node = await nodeEdge(bodies);
  const workerd = await workerdEdge(bodies, startWorkersEdge);
  const workerdDirect = await workerdEdge(bodies, startWorkerdEdge);
  const pct = (v: number) => `${((100 * v) / limit).toFixed(0)}%`;
  const row = (name: string, r: LoadResult, perCpu?: number) => [
    name,
    Math.round(r.eventsPerSecond),
    pct(r.eventsPerSecond),
    perCpu ? Math.round(perCpu) : 'n/a',
    perCpu ? pct(perCpu) : 'n/a',
    r.p50.toFixed(2),
    r.p99.toFixed(2),
    r.requests,
    r.failed,
  ];
  printTable([
    [
      'runtime',
      'events/s (wall)',
      'of limit',
      'events/CPU-s',
      'of limit',
      'p50 ms',
      'p99 ms',
      'requests',
      'failed',
    ],
    [
      'JSON.parse+stringify, 1 core',
      Math.round(limit),
      '100%',
      Math.round(limit),
      '100%',
      '',
      '',
      '',
      '',
    ],
    row('edge on Node (1 process)', node, node.eventsPerCpuSecond),
    row('edge in workerd (wrangler dev)', workerd),
    row('edge in workerd (bundle, no proxy)', workerdDirect),
  ]);
  console.log(
    `(${EVENTS_PER_BATCH}-event batches, ~${bytesPerEvent} bytes/event, 32 concurrent clients in the bench process, ${SECONDS} s; latency is measured by the client and includes its own overhead; goal ≥ 40% of the JSON limit)`,
  );
  return { jsonLimitEventsPerSecond: limit, bytesPerEvent, node, workerd, workerdDirect };
}
