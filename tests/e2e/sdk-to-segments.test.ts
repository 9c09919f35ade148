import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessedBatch } from '../../backend/src/processor/processor';
import { startBackend, type Backend } from '../../backend/src/start-backend';
import { launchChromium, startSite, type SiteServer } from '../browser/harness';
import { missingService } from '../services/free-port';
import { kafkaToolsAvailable, startKafka, type KafkaBroker } from '../services/kafka/broker';
import { redisUnavailable, startRedis, type RedisServer } from '../services/redis';
import { PRICING_FANS } from '../fixtures/processing';
import { startWorkersEdge, type WorkersEdge } from '../services/wrangler-edge';

const why = (await kafkaToolsAvailable()) ?? redisUnavailable();
const skip = why ? missingService('Kafka and Redis', why) === 'skip' : false;

const SECRET = 'e2e-processing-secret';
const KEY = 'pk_e2e_proc';
const CUSTOMER = 'cust_e2e_proc';

/**
 * The whole pipeline with real parts: the SDK in Chromium → the edge Worker (wrangler dev) →
 * ingest → Kafka → the processor (Redis state, chdb warehouse). A visitor views /pricing three
 * times and logs in: they are in the segment under their user_id, and every event counts once.
 */
describe.skipIf(skip)('SDK → edge → ingest → Kafka → processor → Redis + chdb', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-e2e-processing-'));
  let broker: KafkaBroker;
  let redis: RedisServer;
  let backend: Backend;
  let edge: WorkersEdge;
  let site: SiteServer;
  let browser: Browser;
  /** When each event became durable in the warehouse and the state store (ms). */
  const durableAt = new Map<string, number>();

  beforeAll(async () => {
    [broker, redis] = await Promise.all([startKafka(), startRedis()]);
    backend = await startBackend({
      dataDir: dir,
      port: 0,
      ingestSecret: SECRET,
      kafkaBrokers: [broker.brokers],
      redisUrl: redis.url,
      onBatch: (batch: ProcessedBatch) => {
        for (const key of batch.eventKeys) if (!durableAt.has(key)) durableAt.set(key, Date.now());
      },
    });
    await backend.store.putDefinition(CUSTOMER, PRICING_FANS);
    site = await startSite();
    edge = await startWorkersEdge({
      ingestUrl: `${backend.url}/internal/ingest`,
      ingestSecret: SECRET,
      keys: {
        [KEY]: {
          customer_id: CUSTOMER,
          allowed_origins: [site.url],
          rate: { per_second: 500, burst: 2000 },
          routing: 'new',
        },
      },
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await edge?.stop();
    await site?.close();
    await backend?.stop();
    await Promise.all([broker?.stop(), redis?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('puts a visitor who viewed /pricing three times and logged in into the segment under their user_id', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const config = { key: KEY, endpoint: edge.url, flushInterval: 50 };
    for (let i = 0; i < 3; i++) {
      await page.goto(site.pageUrl(config, { path: '/pricing' }));
      await page.waitForFunction(() => !('_q' in (window as unknown as { pulse: object }).pulse));
    }
    const visitor = await page.evaluate(() => {
      (window as unknown as { pulse: { identify(id: string): void } }).pulse.identify('user-42');
      return localStorage.getItem('pulse:v');
    });
    expect(visitor).toBeTruthy();

    const member = async () =>
      (
        await backend.store.memberships([
          { customer: CUSTOMER, segment: 'pricing_fans', id: 'user-42' },
        ])
      )[0] != null;
    let isMember = false;
    const until = Date.now() + 60_000;
    while (!(isMember = await member()) && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(isMember).toBe(true);

    const [link] = await backend.store.links([{ customer: CUSTOMER, id: visitor ?? '' }]);
    expect(link).toBe('user-42');
    const members = await backend.store.members(CUSTOMER, 'pricing_fans', null, 100);
    expect(members.ids).toEqual(['user-42']);

    // Every event counts once: the warehouse's distinct events equal the rollups' total, and
    // the three /pricing views are three.
    const count = await backend.warehouse.eventCount(CUSTOMER);
    const minutes = await backend.warehouse.rollups(
      CUSTOMER,
      new Date(0),
      new Date(Date.now() + 3600_000),
    );
    const total = minutes.reduce(
      (n, m) => n + Object.values(m.events).reduce((a, b) => a + b, 0),
      0,
    );
    expect(total).toBe(count);
    expect(minutes.reduce((n, m) => n + (m.pages['/pricing'] ?? 0), 0)).toBe(3);
    expect(minutes.reduce((n, m) => n + (m.events['identify:identify'] ?? 0), 0)).toBe(1);
    const changes = await backend.warehouse.segmentChanges(CUSTOMER);
    expect(changes.filter((c) => c.id === 'user-42' && c.change === 'enter')).toHaveLength(1);

    // How long each event took from the edge (received_at) to durable in the warehouse and the
    // state store: a benchmark figure, printed, not asserted.
    const received = await backend.warehouse.query<{ event_id: string; received: string }>(
      `SELECT event_id, toString(toUnixTimestamp64Milli(received_at)) AS received
       FROM pulse.events WHERE customer_id = {customer:String}`,
      { customer: CUSTOMER },
    );
    const latencies = received
      .map((row) => (durableAt.get(`${CUSTOMER}/${row.event_id}`) ?? NaN) - Number(row.received))
      .filter(Number.isFinite)
      .sort((a, b) => a - b);
    console.log(
      `[e2e-latency] edge → warehouse + segment state: ${latencies.length} events, ` +
        `median ${latencies[Math.floor(latencies.length / 2)]} ms, max ${latencies.at(-1)} ms`,
    );
    await context.close();
  });
});
