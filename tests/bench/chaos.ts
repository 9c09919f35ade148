import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IngestResponse, SegmentDefinition } from '@pulse/contract';
import { createRedisStore } from '../../backend/src/state/redis-store';
import { createWarehouse } from '../../backend/src/warehouse/create-warehouse';
import { startNodeEdge } from '../../edge/src/adapters/node';
import { createMemoryConfigStore } from '../../edge/src/config/memory-config-store';
import { createHttpIngestSink } from '../../edge/src/sinks/http-ingest-sink';
import { openKey } from '../fixtures/edge-and-backend';
import { processorChild } from '../processing/processor-child';
import { freePort, waitUntil } from '../services/free-port';
import { startKafka } from '../services/kafka/broker';
import { startRedis, type RedisServer } from '../services/redis';
import { launchChromium, startSite } from '../browser/harness';
import { printTable } from './table';

/** Events the load generator sends (PULSE_CHAOS_EVENTS overrides, for a quick run). */
const EVENTS = Number(process.env.PULSE_CHAOS_EVENTS ?? 100_000);
const CUSTOMERS = ['cust_chaos_a', 'cust_chaos_b', 'cust_chaos_c'];
const VISITORS_PER_CUSTOMER = 500;
const BATCH = 100;
const SENDERS = 4;
const SECRET = 'bench-chaos';
/** How long a batch is retried (the SDK would keep it) before the bench calls it unsent. */
const GIVE_UP_MS = 5 * 60_000;
/** Real SDKs in Chromium, beside the load generator: pages, and events each page tracks. */
const SDK_CUSTOMER = 'cust_chaos_sdk';
const SDK_PAGES = 2;
const SDK_EVENTS_PER_PAGE = Math.min(2_500, Math.ceil(EVENTS / 40));
const CLICKERS: SegmentDefinition = {
  id: 'clickers',
  rule: { event_type: 'click', min_count: 1, window: '24h' },
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const keyOf = (customer: string) => `pk_${customer}`;

/**
 * Chaos, bounded and on loopback: while EVENTS events flow from a load generator through the
 * Node edge → ingest (a process) → Kafka → the processor (a process: Kafka consumer, Redis
 * state, chdb warehouse), the bench kills -9 ingest, kills -9 and restarts the broker, kills
 * -9 the processor, kills -9 and restarts Redis (append-only, fsync always) and restarts the
 * warehouse (chdb lives in the processor: a clean stop and start). At the end it compares the
 * warehouse, the dashboard rollups and segment membership with what was acknowledged.
 */
export async function benchChaos(): Promise<Record<string, unknown>> {
  // Whatever was started is stopped even when a step fails: a bench leaves no process behind.
  const started: Array<{ stop(): Promise<unknown> }> = [];
  try {
    return await runChaos(started);
  } finally {
    for (const service of started.reverse()) await service.stop().catch(() => undefined);
  }
}

async function runChaos(
  started: Array<{ stop(): Promise<unknown> }>,
): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-bench-chaos-'));
  // Pushed first, so removed last: after every process that writes there has stopped.
  started.push({ stop: async () => rmSync(dir, { recursive: true, force: true }) });
  const redisDir = join(dir, 'redis');
  mkdirSync(redisDir);
  const broker = await startKafka();
  started.push(broker);
  let redis: RedisServer = await startRedis(undefined, redisDir);
  started.push({ stop: () => redis.stop() });
  const setup = createRedisStore(redis.url);
  for (const customer of CUSTOMERS) await setup.putDefinition(customer, CLICKERS);
  await setup.close();

  const ingestPort = await freePort();
  const ingest = processorChild({
    dataDir: join(dir, 'ingest'),
    brokers: broker.brokers,
    redisUrl: redis.url,
    ingestPort,
    ingestSecret: SECRET,
    roles: 'ingest',
  });
  const processor = processorChild({
    dataDir: join(dir, 'processor'),
    brokers: broker.brokers,
    redisUrl: redis.url,
    groupId: 'pulse-chaos',
  });
  started.push(ingest, processor);
  await ingest.start();
  await processor.start();
  const site = await startSite();
  started.push({ stop: () => site.close() });
  const keys = Object.fromEntries(CUSTOMERS.map((c) => [keyOf(c), openKey(c)]));
  keys[keyOf(SDK_CUSTOMER)] = { ...openKey(SDK_CUSTOMER), allowed_origins: [site.url] };
  const edge = await startNodeEdge({
    config: createMemoryConfigStore(keys),
    sink: createHttpIngestSink({
      url: `http://127.0.0.1:${ingestPort}/internal/ingest`,
      secret: SECRET,
    }),
    ipSaltSecret: 'bench-chaos',
  });
  started.push({ stop: () => edge.close() });

  // The stream: page views and clicks of a few hundred visitors per customer, all of today.
  const acked = new Map<string, { customer: string; visitor: string; type: string }>();
  let next = 0;
  let retries = 0;
  let unsent = 0;
  const makeBatch = () => {
    const customer = CUSTOMERS[((next / BATCH) % CUSTOMERS.length) | 0]!;
    const events = Array.from({ length: Math.min(BATCH, EVENTS - next) }, (_, i) => {
      const n = next + i;
      return {
        event_id: randomUUID(),
        visitor_id: `v${(n * 7919) % VISITORS_PER_CUSTOMER}`,
        event_type: n % 10 < 3 ? 'click' : 'page_view',
        event_name: n % 10 < 3 ? 'buy' : 'page',
        properties: { path: `/p/${n % 20}` },
        timestamp: new Date().toISOString(),
      };
    });
    next += events.length;
    return { customer, events };
  };
  const sendUntilAcked = async (customer: string, events: Array<Record<string, unknown>>) => {
    const body = JSON.stringify({ sent_at: new Date().toISOString(), events });
    const until = Date.now() + GIVE_UP_MS;
    for (let wait = 100; Date.now() < until; wait = Math.min(wait * 2, 1000)) {
      try {
        const res = await fetch(`${edge.url}/v1/events?key=${keyOf(customer)}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(30_000),
        });
        if (res.status === 200) {
          const answer = (await res.json()) as IngestResponse;
          if (answer.rejected.length)
            throw new Error(`rejected: ${JSON.stringify(answer.rejected)}`);
          for (const e of events) {
            acked.set(`${customer}/${String(e.event_id)}`, {
              customer,
              visitor: String(e.visitor_id),
              type: String(e.event_type),
            });
          }
          return;
        }
        await res.body?.cancel();
      } catch (error) {
        if (String(error).includes('rejected:')) throw error;
      }
      retries += 1;
      await sleep(wait);
    }
    unsent += events.length;
  };

  // Faults, each when the acknowledged count passes its share of the stream.
  const faults: Array<{ fault: string; atEvent: number; outageMs: number }> = [];
  const restartRedis = async () => {
    await redis.kill9();
    redis = await startRedis(redis.port, redisDir);
  };
  const schedule: Array<[number, string, () => Promise<void>]> = [
    [0.15, 'kill -9 ingest, start it again', async () => (await ingest.kill9(), ingest.start())],
    [0.3, 'kill -9 the broker, restart it', async () => (await broker.kill9(), broker.restart())],
    [
      0.45,
      'kill -9 the processor, start it again',
      async () => (await processor.kill9(), processor.start()),
    ],
    [0.6, 'kill -9 Redis, restart it (AOF)', restartRedis],
    [
      0.75,
      'restart the warehouse (chdb in the processor)',
      async () => (await processor.stop(), processor.start()),
    ],
  ];
  const startedAt = Date.now();
  // The SDK pages track in bursts while the faults happen; the SDK keeps what is not acked.
  const browser = await launchChromium();
  started.push({ stop: () => browser.close() });
  const pages = await Promise.all(
    Array.from({ length: SDK_PAGES }, async () => {
      const page = await (await browser.newContext()).newPage();
      const config = {
        key: keyOf(SDK_CUSTOMER),
        endpoint: edge.url,
        flushInterval: 50,
        retryBase: 200,
        retryCap: 1500,
        autoPageViews: false,
      };
      await page.goto(site.pageUrl(config));
      await page.waitForFunction("!('_q' in window.pulse)");
      return page;
    }),
  );
  // A string, not a function: tsx (which runs the bench) adds helpers a page does not have.
  const trackInBursts = `new Promise((resolve) => {
    let seq = 0;
    const burst = () => {
      for (let j = 0; j < 25 && seq < ${SDK_EVENTS_PER_PAGE}; j++, seq++) {
        window.pulse.track('sdk', { seq });
      }
      if (seq < ${SDK_EVENTS_PER_PAGE}) setTimeout(burst, 40);
      else resolve();
    };
    burst();
  })`;
  const sdkLoad = Promise.all(pages.map((page) => page.evaluate(trackInBursts)));
  const load = (async () => {
    await Promise.all(
      Array.from({ length: SENDERS }, async () => {
        while (next < EVENTS) {
          const { customer, events } = makeBatch();
          await sendUntilAcked(customer, events);
        }
      }),
    );
  })();
  let loadDone = false;
  void load.finally(() => (loadDone = true));
  for (const [share, fault, act] of schedule) {
    while (!loadDone && acked.size < share * EVENTS) await sleep(20);
    const atEvent = acked.size;
    const t0 = Date.now();
    await act();
    faults.push({ fault, atEvent, outageMs: Date.now() - t0 });
  }
  await Promise.all([load, sdkLoad]);
  const loadMs = Date.now() - startedAt;

  // Every acknowledged event processed (at least once), and every event the SDK pages
  // tracked; then the processor stops cleanly.
  const sdkTracked = SDK_PAGES * SDK_EVENTS_PER_PAGE;
  const sdkProcessed = () =>
    [...processor.processed.keys()].filter((key) => key.startsWith(`${SDK_CUSTOMER}/`)).length;
  await waitUntil(
    'every acknowledged event processed',
    async () => [...acked.keys()].every((key) => processor.processed.has(key)),
    5 * 60_000,
  );
  await waitUntil(
    `the ${sdkTracked} events of the SDK pages processed`,
    async () => sdkProcessed() >= sdkTracked,
    5 * 60_000,
  ).catch(() => undefined); // What is missing is counted below as lost.
  await browser.close();
  await site.close();
  const drainMs = Date.now() - startedAt - loadMs;
  const replayed = [...processor.processed.values()].filter((n) => n > 1).length;
  await processor.stop();
  await ingest.stop();
  await edge.close();

  const warehouse = await createWarehouse({
    path: join(dir, 'processor', 'warehouse'),
    ttl: false,
  });
  const store = createRedisStore(redis.url);
  const rows: Array<Array<string | number>> = [
    ['customer', 'acked', 'stored', 'lost', 'extra', 'counted', 'rollups', 'clickers', 'reference'],
  ];
  const totals = { acked: 0, lost: 0, extra: 0, countedTwice: 0, rollupGap: 0, segmentGap: 0 };
  for (const customer of CUSTOMERS) {
    const mine = [...acked].filter(([, e]) => e.customer === customer);
    const ids = new Set(mine.map(([key]) => key.slice(customer.length + 1)));
    const stored = new Set(
      (
        await warehouse.query<{ event_id: string }>(
          'SELECT DISTINCT event_id FROM pulse.events WHERE customer_id = {c:String}',
          { c: customer },
        )
      ).map((row) => row.event_id),
    );
    const lost = [...ids].filter((id) => !stored.has(id)).length;
    const extra = [...stored].filter((id) => !ids.has(id)).length;
    const counted = await warehouse.eventCount(customer);
    const rollups = await warehouse.rollups(
      customer,
      new Date(startedAt - 3600_000),
      new Date(Date.now() + 3600_000),
    );
    const rolled = rollups.reduce(
      (sum, r) => sum + Object.values(r.events).reduce((a, b) => a + b, 0),
      0,
    );
    const reference = new Set(mine.filter(([, e]) => e.type === 'click').map(([, e]) => e.visitor));
    const members = new Set<string>();
    for (let cursor: string | null = null; ;) {
      const page = await store.members(customer, 'clickers', cursor, 1000);
      page.ids.forEach((id) => members.add(id));
      cursor = page.next;
      if (!cursor) break;
    }
    const segmentGap =
      [...reference].filter((id) => !members.has(id)).length +
      [...members].filter((id) => !reference.has(id)).length;
    rows.push([
      customer,
      ids.size,
      stored.size,
      lost,
      extra,
      counted,
      rolled,
      members.size,
      reference.size,
    ]);
    totals.acked += ids.size;
    totals.lost += lost;
    totals.extra += extra;
    totals.countedTwice += Math.max(0, counted - ids.size);
    totals.rollupGap += Math.abs(rolled - ids.size);
    totals.segmentGap += segmentGap;
  }
  // The SDK pages: each (page's visitor, seq) once, and no event stored twice.
  const [sdk] = await warehouse.query<{ tracked: string; ids: string }>(
    `SELECT uniqExact(visitor_id, JSONExtractInt(properties, 'seq')) AS tracked,
        uniqExact(event_id) AS ids
      FROM pulse.events WHERE customer_id = {c:String} AND event_name = 'sdk'`,
    { c: SDK_CUSTOMER },
  );
  const sdkCounted = await warehouse.eventCount(SDK_CUSTOMER);
  const sdkFigures = {
    tracked: sdkTracked,
    stored: Number(sdk?.tracked ?? 0),
    lost: sdkTracked - Number(sdk?.tracked ?? 0),
    countedTwice: Math.max(0, sdkCounted - Number(sdk?.tracked ?? 0)),
    idsPerEvent: Number(sdk?.ids ?? 0) - Number(sdk?.tracked ?? 0),
  };
  await store.close();
  await warehouse.close();
  await redis.stop();
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });

  console.log(
    `\nchaos: ${EVENTS} events, ${faults.length} faults, load ${loadMs} ms, drain ${drainMs} ms`,
  );
  printTable([
    ['fault', 'at event', 'outage ms'],
    ...faults.map((f) => [f.fault, f.atEvent, f.outageMs]),
  ]);
  console.log('');
  printTable(rows);
  console.log(
    `lost ${totals.lost}, stored but never acknowledged ${totals.extra}, counted twice ${totals.countedTwice}, ` +
      `rollup gap ${totals.rollupGap}, segment gap ${totals.segmentGap}; client retries ${retries}, ` +
      `unsent after ${GIVE_UP_MS / 60_000} min ${unsent}; events processed more than once (at least once, folded) ${replayed}`,
  );
  console.log(
    `SDK in Chromium (${SDK_PAGES} pages): tracked ${sdkFigures.tracked}, stored ${sdkFigures.stored}, ` +
      `lost ${sdkFigures.lost}, counted twice ${sdkFigures.countedTwice}, ` +
      `stored under a second event_id ${sdkFigures.idsPerEvent}`,
  );
  return {
    events: EVENTS,
    sdk: sdkFigures,
    faults,
    loadMs,
    drainMs,
    retries,
    unsent,
    replayed,
    ...totals,
  };
}
