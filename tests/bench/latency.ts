import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKafkaSink } from '../../backend/src/sinks/kafka-sink';
import { startKafka } from '../services/kafka/broker';
import { startRedis } from '../services/redis';
import { eventMix } from './event-mix';
import { startBenchEdge } from './bench-edge';
import type { BackendCommand, BackendMessage } from './latency-backend';
import { percentile, printTable } from './table';

const CUSTOMER = 'cust_latency';
const KEY = 'pk_latency';

interface Phase {
  name: string;
  eventsPerSecond: number;
  seconds: number;
}

interface BenchBackend {
  /** The backend process's CPU time so far and its processor's time per step (ms). */
  status(): Promise<{ cpu: NodeJS.CpuUsage; spentMs: Record<string, number> }>;
  stop(): Promise<void>;
}

/**
 * The backend (processor, no ingest) in a process of its own, as deployed: the edge and the
 * load generator stay in this one. `onBatch` hears each durable batch's event keys, stamped
 * with the backend's clock (the same machine's).
 */
async function forkBackend(
  config: { dataDir: string; brokers: string; redisUrl: string },
  onBatch: (keys: readonly string[], at: number) => void,
): Promise<BenchBackend> {
  const file = fileURLToPath(new URL('./latency-backend.ts', import.meta.url));
  const child = fork(file, [JSON.stringify({ ...config, customer: CUSTOMER })], {
    execArgv: ['--import', 'tsx'],
  });
  let statusAnswer: ((status: Extract<BackendMessage, { type: 'status' }>) => void) | undefined;
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`latency-backend.ts exited with ${code}`)));
    child.on('message', (message: BackendMessage) => {
      if (message.type === 'ready') resolve();
      else if (message.type === 'batch') onBatch(message.keys, message.at);
      else statusAnswer?.(message);
    });
  });
  child.removeAllListeners('exit');
  return {
    status: () =>
      new Promise((resolve) => {
        statusAnswer = resolve;
        child.send({ type: 'status' } satisfies BackendCommand);
      }),
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.send({ type: 'stop' } satisfies BackendCommand);
      }),
  };
}

const PHASES: Phase[] = [
  { name: 'steady 1K events/s', eventsPerSecond: 1000, seconds: 15 },
  { name: 'burst 10K events/s', eventsPerSecond: 10_000, seconds: 5 },
];

/**
 * End-to-end latency from the edge's 200 to the event being durable in the warehouse and in
 * segment state: Node edge → Kafka (acks=all) → processor → Redis + chdb, at a steady 1K
 * events/s and then a 10x burst. A request every 10 ms carries the phase's share of events.
 * The backend runs in a process of its own, as deployed (latency-backend.ts); until
 * 2026-12-07 it shared this one's event loop with the edge and the load generator.
 * Also the lag during each phase (every 500 ms), at its end, and the time to drain it.
 */
export async function benchLatency(): Promise<Record<string, unknown>> {
  const [broker, redis] = await Promise.all([startKafka(), startRedis()]);
  const dir = mkdtempSync(join(tmpdir(), 'pulse-bench-latency-'));
  const durableAt = new Map<string, number>();
  // Acknowledged by the edge and not yet durable: kept as batches land, so that sampling the
  // lag costs nothing. Counting it over every acknowledged event, every 500 ms and every 50 ms
  // of the drain, took 0.7 s of the main thread in a run, beside the pipeline it measures.
  const waiting = new Set<string>();
  let batches = 0;
  const results: Record<string, unknown> = {};
  const rows: Array<Array<string | number>> = [
    [
      'phase',
      'events',
      'p50 ms',
      'p99 ms',
      'max ms',
      'missing',
      'peak lag',
      'lag at end',
      'drain ms',
    ],
  ];
  const timelines: Array<[string, number[]]> = [];
  const stepRows: Array<Array<string | number>> = [
    [
      'phase',
      'batches',
      'events/batch',
      'CPU % load + edge',
      'CPU % backend',
      'processor ms per batch',
    ],
  ];
  const onBatch = (keys: readonly string[], now: number) => {
    batches += 1;
    for (const key of keys) {
      if (!durableAt.has(key)) durableAt.set(key, now);
      waiting.delete(key);
    }
  };
  const backend = await forkBackend(
    { dataDir: dir, brokers: broker.brokers, redisUrl: redis.url },
    onBatch,
  );
  const sink = createKafkaSink({ brokers: [broker.brokers], clientId: 'pulse-edge' });
  const edge = await startBenchEdge({ key: KEY, customer: CUSTOMER, sink });
  try {
    for (const [p, phase] of PHASES.entries()) {
      const perRequest = phase.eventsPerSecond / 100;
      const requests = phase.seconds * 100;
      const acked = new Map<string, number>();
      const inFlight: Array<Promise<void>> = [];
      const start = Date.now();
      const batchesBefore = batches;
      const cpuBefore = process.cpuUsage();
      const before = await backend.status();
      const stepsBefore = before.spentMs;
      // Lag: events acknowledged by the edge and not yet durable downstream, every 500 ms.
      waiting.clear();
      const lagOf = () => waiting.size;
      const lag: number[] = [];
      const sampler = setInterval(() => lag.push(lagOf()), 500);
      for (let r = 0; r < requests; r++) {
        const wait = start + r * 10 - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const events = eventMix(perRequest, 2000, p * 100_000 + r);
        const body = JSON.stringify({ sent_at: new Date().toISOString(), events });
        inFlight.push(
          fetch(`${edge.url}/v1/events?key=${KEY}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          }).then(async (res) => {
            await res.arrayBuffer();
            const at = Date.now();
            if (!res.ok) return;
            for (const e of events) {
              const key = `${CUSTOMER}/${e.event_id}`;
              acked.set(key, at);
              if (!durableAt.has(key)) waiting.add(key);
            }
          }),
        );
      }
      await Promise.all(inFlight);
      const sent = Date.now();
      const lagAtEnd = lagOf();
      const until = Date.now() + 60_000;
      while (lagOf() > 0 && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const drainMs = Date.now() - sent;
      // Where the phase's time went: the processor's steps per batch, and how busy this process
      // (load generator, edge, Kafka producer) and the backend's (processor, chdb's threads) were.
      const cpu = process.cpuUsage(cpuBefore);
      const phaseBatches = batches - batchesBefore;
      const after = await backend.status();
      const steps = after.spentMs;
      const perBatch = Object.fromEntries(
        Object.entries(steps)
          .filter(([step]) => step !== 'idle')
          .map(([step, ms]) => [
            step,
            Math.round((ms - (stepsBefore[step] ?? 0)) / Math.max(1, phaseBatches)),
          ]),
      );
      const percentOfPhase = (used: NodeJS.CpuUsage) =>
        Math.round(((used.user + used.system) / 1000 / (Date.now() - start)) * 100);
      const cpuPercent = percentOfPhase(cpu);
      const backendCpuPercent = percentOfPhase({
        user: after.cpu.user - before.cpu.user,
        system: after.cpu.system - before.cpu.system,
      });
      clearInterval(sampler);
      lag.push(lagOf());
      timelines.push([phase.name, lag]);
      const latencies = [...acked].flatMap(([k, at]) => {
        const done = durableAt.get(k);
        // Durable before the 200 reached the client counts as 0.
        return done === undefined ? [] : [Math.max(0, done - at)];
      });
      const missing = acked.size - latencies.length;
      const figures = {
        events: acked.size,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: Math.max(...latencies),
        missing,
        peakLag: Math.max(...lag),
        lagAtEnd,
        drainMs,
        lagEvery500ms: lag,
        batches: phaseBatches,
        cpuPercent,
        backendCpuPercent,
        processorMsPerBatch: perBatch,
      };
      stepRows.push([
        phase.name,
        phaseBatches,
        Math.round(acked.size / Math.max(1, phaseBatches)),
        cpuPercent,
        backendCpuPercent,
        Object.entries(perBatch)
          .map(([step, ms]) => `${step} ${ms}`)
          .join(', '),
      ]);
      results[phase.name] = figures;
      rows.push([
        phase.name,
        figures.events,
        figures.p50,
        figures.p99,
        figures.max,
        missing,
        figures.peakLag,
        lagAtEnd,
        drainMs,
      ]);
    }
  } finally {
    await edge.close();
    await sink.close();
    await backend.stop();
    await Promise.all([broker.stop(), redis.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
  printTable(rows);
  printTable(stepRows);
  for (const [name, lag] of timelines) console.log(`lag every 500 ms, ${name}: ${lag.join(' ')}`);
  console.log(
    '(lag: events the edge acknowledged and not yet durable in the warehouse and segment state; ' +
      'drain: from the last acknowledgement to no lag)',
  );
  console.log('goal: p50 <= 500 ms, p99 <= 2 s (issue 5)');
  return results;
}
