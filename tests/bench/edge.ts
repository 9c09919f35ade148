import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  startWorkersEdge,
  type WorkersEdge,
  type WorkersEdgeOptions,
} from '../services/wrangler-edge';
import { startWorkerdEdge } from '../services/workerd-edge';
import { jsonLimit, load, nativeBatch, type LoadResult } from './edge-load';
import type { IngestCounts } from './edge-ingest-server';
import {
  descendantsNamed,
  machineBusySeconds,
  processCpuSeconds,
  threadCount,
} from './process-cpu';
import { printTable } from './table';

const EVENTS_PER_BATCH = 50;
const SECONDS = 6;
const WARM_UP_SECONDS = 2;
const INGEST_SECRET = 'bench-ingest-secret';

/** One edge under load, and where the machine's CPU went meanwhile. */
export interface EdgeRun extends LoadResult {
  /** Events per CPU-second of the edge's own process(es): how much one core of edge serves. */
  eventsPerCpuSecond: number;
  /** Cores busy during the run: the edge, the load generator (this process), ingest, the rest. */
  cores: { edge: number; load: number; ingest: number; other: number };
  /** Threads of the edge process. */
  threads?: number;
  /** TCP connections the edge opened to ingest during the run (keep-alive: few). */
  ingestConnections?: number;
}

/** A child process started with `fork` that prints `{ url }` on its first line. */
async function forkService(
  file: string,
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(fileURLToPath(new URL(file, import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    env: { ...process.env, ...env },
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
    child.stdout!.once('data', (d: Buffer) =>
      resolve((JSON.parse(d.toString()) as { url: string }).url),
    );
  });
  child.removeAllListeners('exit');
  return { child, url };
}

/** The ingest stand-in, in a process of its own (edge-ingest-server.ts). */
async function startIngest(): Promise<{
  url: string;
  pid: number;
  counts(): Promise<IngestCounts>;
  stop(): void;
}> {
  const { child, url } = await forkService('./edge-ingest-server.ts', {
    INGEST_SECRET,
  });
  return {
    url,
    pid: child.pid!,
    counts: () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve(m as IngestCounts));
        child.send('count');
      }),
    stop: () => child.kill(),
  };
}

type Ingest = Awaited<ReturnType<typeof startIngest>>;

/**
 * Loads the edge at `url` for {@link SECONDS} after a warm-up and reads, from `/proc`, the CPU
 * time of the edge's processes, of this process (the load generator), of ingest and of the
 * whole machine over the same window.
 */
async function measure(
  url: string,
  edgePids: number[],
  ingest: Ingest | undefined,
  bodies: string[],
  headers?: Array<Record<string, string>>,
): Promise<EdgeRun> {
  const target = `${url}/v1/events?key=pk_bench`;
  await load(target, bodies, EVENTS_PER_BATCH, WARM_UP_SECONDS, 32, headers); // JIT, connections
  const edgeCpu = () => edgePids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0);
  const ingestCpu = () => (ingest ? processCpuSeconds(ingest.pid) : 0);
  const connectionsBefore = (await ingest?.counts())?.connections;
  const before = {
    edge: edgeCpu(),
    load: processCpuSeconds(process.pid),
    ingest: ingestCpu(),
    machine: machineBusySeconds(),
  };
  const result = await load(target, bodies, EVENTS_PER_BATCH, SECONDS, 32, headers);
  const used = {
    edge: edgeCpu() - before.edge,
    load: processCpuSeconds(process.pid) - before.load,
    ingest: ingestCpu() - before.ingest,
    machine: machineBusySeconds() - before.machine,
  };
  const connectionsAfter = (await ingest?.counts())?.connections;
  const perSecond = (cpu: number) => Number((cpu / result.seconds).toFixed(2));
  return {
    ...result,
    eventsPerCpuSecond: result.events / used.edge,
    cores: {
      edge: perSecond(used.edge),
      load: perSecond(used.load),
      ingest: perSecond(used.ingest),
      other: perSecond(Math.max(0, used.machine - used.edge - used.load - used.ingest)),
    },
    threads: edgePids[0] === undefined ? undefined : threadCount(edgePids[0]),
    ...(connectionsBefore === undefined || connectionsAfter === undefined
      ? {}
      : { ingestConnections: connectionsAfter - connectionsBefore }),
  };
}

/** The Node edge in its own process; with `ingest`, its sink is the Worker's HTTP ingest sink. */
async function nodeEdge(bodies: string[], ingest?: Ingest): Promise<EdgeRun> {
  const env: Record<string, string> = ingest ? { INGEST_URL: ingest.url, INGEST_SECRET } : {};
  const { child, url } = await forkService('./edge-node-server.ts', env);
  try {
    return await measure(url, [child.pid!], ingest, bodies);
  } finally {
    child.kill();
  }
}

async function workerdEdge(
  bodies: string[],
  ingest: Ingest,
  start: (options: WorkersEdgeOptions) => Promise<WorkersEdge>,
): Promise<EdgeRun> {
  const edge = await start({
    ingestUrl: ingest.url,
    ingestSecret: INGEST_SECRET,
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
    // Cloudflare sets the client's IP on every request; the Node edge reads it off the socket.
    const headers = bodies.map(() => ({
      'content-type': 'application/json',
      'cf-connecting-ip': '127.0.0.1',
    }));
    return await measure(
      edge.url,
      descendantsNamed(process.pid, 'workerd'),
      ingest,
      bodies,
      headers,
    );
  } finally {
    await edge.stop();
  }
}

/**
 * Edge throughput with 50-event batches (~550-byte events), on Node and in workerd (under
 * `wrangler dev`, and the deployable bundle on workerd's own socket), as a ratio to the
 * machine's JSON.parse + JSON.stringify limit on one core measured in the same run, both per
 * second of wall time and per CPU-second of the edge's process.
 */
export async function benchEdge(): Promise<Record<string, unknown>> {
  const bodies = Array.from({ length: 64 }, () => nativeBatch(EVENTS_PER_BATCH));
  const bytesPerEvent = Math.round(bodies[0]!.length / EVENTS_PER_BATCH);
  const limit = jsonLimit(bodies, EVENTS_PER_BATCH);
  const ingest = await startIngest();
  let runs: Record<'node' | 'nodeHttpSink' | 'workerd' | 'workerdDirect', EdgeRun>;
  try {
    runs = {
      node: await nodeEdge(bodies),
      nodeHttpSink: await nodeEdge(bodies, ingest),
      workerd: await workerdEdge(bodies, ingest, startWorkersEdge),
      workerdDirect: await workerdEdge(bodies, ingest, startWorkerdEdge),
    };
  } finally {
    ingest.stop();
  }
  // The same limit again at the end: how far the machine itself moved during the section.
  const limitAfter = jsonLimit(bodies, EVENTS_PER_BATCH);
  const pct = (v: number) => `${((100 * v) / limit).toFixed(0)}%`;
  const row = (name: string, r: EdgeRun) => [
    name,
    Math.round(r.eventsPerSecond),
    pct(r.eventsPerSecond),
    Math.round(r.eventsPerCpuSecond),
    pct(r.eventsPerCpuSecond),
    r.p50.toFixed(1),
    r.p99.toFixed(1),
    r.failed,
    `${r.cores.edge}/${r.cores.load}/${r.cores.ingest}/${r.cores.other}`,
    r.threads ?? '',
    r.ingestConnections ?? '',
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
      'failed',
      'cores edge/load/ingest/other',
      'edge threads',
      'ingest conns',
    ],
    ['JSON.parse+stringify, 1 core', Math.round(limit), '100%', Math.round(limit), '100%'],
    row('edge on Node, counting sink', runs.node),
    row('edge on Node, HTTP ingest sink', runs.nodeHttpSink),
    row('edge in workerd (wrangler dev)', runs.workerd),
    row('edge in workerd (bundle, own socket)', runs.workerdDirect),
  ]);
  console.log(
    `(${EVENTS_PER_BATCH}-event batches, ~${bytesPerEvent} bytes/event, 32 concurrent clients in the bench process, ${SECONDS} s each; ingest verifies signatures in a process of its own; events/CPU-s counts the edge's process only (workerd: the workerd process); JSON limit ${Math.round(limit)} at the start, ${Math.round(limitAfter)} at the end; goal ≥ 40% of the JSON limit)`,
  );
  return {
    jsonLimitEventsPerSecond: limit,
    jsonLimitAfterEventsPerSecond: limitAfter,
    bytesPerEvent,
    ...runs,
  };
}
