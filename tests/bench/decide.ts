import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHttpDecideBackend, type DecideBackend } from '../../edge/src/routes/decide-backend';
import { cachedDecide } from '../../edge/src/routes/decide-cache';
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
/** The edge's cache in the cached run (`DECIDE_CACHE_MS`), and the visitors it asks about. */
const CACHE_MS = 1000;
const RECENT_VISITORS = 200;

/**
 * `GET /v1/decide` latency as a page sees it: Node edge (write key, rate limit, signed call)
 * → the embedded backend (identity and memberships in LMDB, the customer's triggers) for 2,000
 * visitors of whom some are segment members, one request at a time and then 8 at a time. Then
 * 8 at a time through a second edge that keeps answers for {@link CACHE_MS} (decide-cache.ts),
 * asked about {@link RECENT_VISITORS} visitors in turn (visitors seen recently: each asked
 * every 200 requests), with how many of its requests reached the backend.
 */
export async function benchDecide(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-bench-decide-'));
  const backend = await startBackend({ dataDir: dir, port: 0, ingestSecret: SECRET, tickMs: 0 });
  const http = createHttpDecideBackend({ baseUrl: backend.url!, secret: SECRET });
  let backendCalls = 0;
  const counted: DecideBackend = {
    decide: (...args) => {
      backendCalls += 1;
      return http.decide(...args);
    },
  };
  const edge = await startBenchEdge({
    key: KEY,
    customer: CUSTOMER,
    sink: createHttpIngestSink({ url: `${backend.url}/internal/ingest`, secret: SECRET }),
    decide: counted,
  });
  const cachingEdge = await startBenchEdge({
    key: KEY,
    customer: CUSTOMER,
    sink: createHttpIngestSink({ url: `${backend.url}/internal/ingest`, secret: SECRET }),
    decide: cachedDecide(counted, { maxAgeMs: CACHE_MS }),
  });
  const figures: Array<{
    concurrency: number;
    cacheMs: number;
    requests: number;
    withSegments: number;
    backendCalls: number;
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
    const runs = [
      ...CONCURRENCY.map((concurrency) => ({
        concurrency,
        url: edge.url,
        cacheMs: 0,
        visitors: VISITORS,
      })),
      { concurrency: 8, url: cachingEdge.url, cacheMs: CACHE_MS, visitors: RECENT_VISITORS },
    ];
    for (const { concurrency, url, cacheMs, visitors } of runs) {
      const latencies: number[] = [];
      let members = 0;
      let next = 0;
      const callsBefore = backendCalls;
      const worker = async () => {
        while (next < REQUESTS) {
          const visitor = `bv-${next++ % visitors}`;
          const start = performance.now();
          const res = await fetch(`${url}/v1/decide?key=${KEY}&visitor_id=${visitor}`);
          const body = (await res.json()) as { segments?: string[] };
          latencies.push(performance.now() - start);
          if (!res.ok) throw new Error(`decide: ${res.status} ${JSON.stringify(body)}`);
          if (body.segments?.length) members += 1;
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      figures.push({
        concurrency,
        cacheMs,
        requests: latencies.length,
        withSegments: members,
        backendCalls: backendCalls - callsBefore,
        p50: Number(percentile(latencies, 50).toFixed(1)),
        p99: Number(percentile(latencies, 99).toFixed(1)),
      });
    }
  } finally {
    await edge.close();
    await cachingEdge.close();
    await backend.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  printTable([
    [
      'requests at once',
      'edge cache',
      'requests',
      'answers with segments',
      'reached the backend',
      'p50 ms',
      'p99 ms',
    ],
    ...figures.map((f) => [
      f.concurrency,
      f.cacheMs ? `${f.cacheMs} ms, ${RECENT_VISITORS} visitors` : 'none',
      f.requests,
      f.withSegments,
      f.backendCalls,
      f.p50,
      f.p99,
    ]),
  ]);
  console.log(
    '(load generator, Node edge and backend share one process and the 2 cores; goal: p99 < 20 ms, issue 6)',
  );
  return { runs: figures };
}
