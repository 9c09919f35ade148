import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHttpDecideBackend } from '../../edge/src/routes/decide-backend';
import { createHttpIngestSink } from '../../edge/src/sinks/http-ingest-sink';
import { startBackend } from '../../backend/src/start-backend';
import { createTriggerStore } from '../../backend/src/triggers/trigger-store';
import { BENCH_SEGMENTS, eventMix } from './event-mix';
import { startBenchEdge } from './bench-edge';
import { percentile, printTable } from './table';

const CUSTOMER = 'cust_decide';
const KEY = 'pk_decide';
const SECRET = 'bench-decide';
const VISITORS = 2000;
const REQUESTS = 2000;
/** Requests in flight at once: one (a page's own wait) and eight (a busy site). */
const CONCURRENCY = [1, 8];

/**
 * `GET /v1/decide` latency as a page sees it: Node edge (write key, rate limit, signed call)
 * → the embedded backend (identity and memberships in LMDB, the customer's triggers) for 2,000
 * visitors of whom some are segment members, one request at a time and then 8 at a time.
 */
export async function benchDecide(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-bench-decide-'));
  const backend = await startBackend({ dataDir: dir, port: 0, ingestSecret: SECRET, tickMs: 0 });
  const edge = await startBenchEdge({
    key: KEY,
    customer: CUSTOMER,
    sink: createHttpIngestSink({ url: `${backend.url}/internal/ingest`, secret: SECRET }),
    decide: createHttpDecideBackend({ baseUrl: backend.url!, secret: SECRET }),
  });
  const figures: Array<{
    concurrency: number;
    requests: number;
    withSegments: number;
    p50: number;
    p99: number;
  }> = [];
  try {
    for (const segment of BENCH_SEGMENTS) await backend.store.putDefinition(CUSTOMER, segment);
    const now = new Date().toISOString();
    await createTriggerStore(backend.store).put(CUSTOMER, {
      id: 'offer',
      segment_id: 'pricing_fans',
      on: 'enter',
      action: { type: 'client', name: 'show_offer', payload: { discount: 20 } },
      created_at: now,
      updated_at: now,
    });
    const events = eventMix(40_000, VISITORS);
    for (let i = 0; i < events.length; i += 500) {
      const res = await fetch(`${edge.url}/v1/events?key=${KEY}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          sent_at: new Date().toISOString(),
          events: events.slice(i, i + 500),
        }),
      });
      if (!res.ok) throw new Error(`seeding events: ${res.status} ${await res.text()}`);
    }
    // The seeded events are processed before the clock starts: decide is measured alone.
    await backend.processor.idle();
    for (const concurrency of CONCURRENCY) {
      const latencies: number[] = [];
      let members = 0;
      let next = 0;
      const worker = async () => {
        while (next < REQUESTS) {
          const visitor = `bv-${next++ % VISITORS}`;
          const start = performance.now();
          const res = await fetch(`${edge.url}/v1/decide?key=${KEY}&visitor_id=${visitor}`);
          const body = (await res.json()) as { segments?: string[] };
          latencies.push(performance.now() - start);
          if (!res.ok) throw new Error(`decide: ${res.status} ${JSON.stringify(body)}`);
          if (body.segments?.length) members += 1;
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      figures.push({
        concurrency,
        requests: latencies.length,
        withSegments: members,
        p50: Number(percentile(latencies, 50).toFixed(1)),
        p99: Number(percentile(latencies, 99).toFixed(1)),
      });
    }
  } finally {
    await edge.close();
    await backend.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  printTable([
    ['requests at once', 'requests', 'answers with segments', 'p50 ms', 'p99 ms'],
    ...figures.map((f) => [f.concurrency, f.requests, f.withSegments, f.p50, f.p99]),
  ]);
  console.log(
    '(load generator, Node edge and backend share one process and the 2 cores; goal: p99 < 20 ms, issue 6)',
  );
  return { runs: figures };
}
