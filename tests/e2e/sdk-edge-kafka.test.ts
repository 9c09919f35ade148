import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import type { Browser, Page } from 'playwright-core';
import { setUpTopics, TOPICS } from '../../backend/src/kafka/topics';
import { createKafkaSink, type KafkaSink } from '../../backend/src/sinks/kafka-sink';
import { startIngest, type IngestServer } from '../../backend/src/ingest/ingest-server';
import { kafkaToolsAvailable, startKafka, type KafkaBroker } from '../services/kafka/broker';
import { freePort, missingService } from '../services/free-port';
import { startWorkersEdge, type WorkersEdge } from '../services/wrangler-edge';
import { launchChromium, startSite, waitFor, type SiteServer } from '../browser/harness';
import { reportDuplicates } from '../browser/report';

const SECRET = 'e2e-ingest-secret';
const KEY = 'pk_e2e';
const why = await kafkaToolsAvailable();
const skip = why ? missingService('Apache Kafka (java + mvn)', why) === 'skip' : false;

interface Consumed {
  event_id: string;
  customer_id: string;
  event_name: string;
  properties: { seq?: number };
  context: { ip?: string };
  received_at: string;
}

/**
 * The whole write path with real parts: the SDK in Chromium → the edge Worker in workerd
 * (wrangler dev) → backend ingest → a real Kafka broker; a consumer counts what arrived.
 */
describe.skipIf(skip)('SDK → edge (workerd) → ingest → Kafka', () => {
  let broker: KafkaBroker;
  let sink: KafkaSink;
  let ingest: IngestServer;
  let ingestPort: number;
  let edge: WorkersEdge;
  let site: SiteServer;
  let browser: Browser;
  const consumed: Consumed[] = [];
  let stopConsumer: () => Promise<void>;

  const startIngestOnPort = async () =>
    (ingest = await startIngest({ port: ingestPort, secret: SECRET, sink }));
  const named = (name: string) => consumed.filter((e) => e.event_name === name);
  const seqs = (name: string) => new Set(named(name).map((e) => e.properties.seq));

  beforeAll(async () => {
    broker = await startKafka();
    const kafka = new Kafka({ brokers: [broker.brokers], logLevel: logLevel.NOTHING });
    await setUpTopics([broker.brokers], {
      partitions: 2,
      replicationFactor: 1,
      minInsyncReplicas: 1,
      retentionMs: 3600_000,
    });
    sink = createKafkaSink({ brokers: [broker.brokers], timeoutMs: 3000 });
    ingestPort = await freePort();
    await startIngestOnPort();
    site = await startSite();
    edge = await startWorkersEdge({
      ingestUrl: `${ingest.url}/internal/ingest`,
      ingestSecret: SECRET,
      keys: {
        [KEY]: {
          customer_id: 'cust_e2e',
          allowed_origins: [site.url],
          rate: { per_second: 500, burst: 2000 },
          routing: 'new',
        },
      },
    });
    browser = await launchChromium();
    const consumer = kafka.consumer({ groupId: 'e2e-reader' });
    await consumer.connect();
    await consumer.subscribe({ topics: [TOPICS.events('custom')], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) =>
        void consumed.push(JSON.parse(String(message.value)) as Consumed),
    });
    stopConsumer = () => consumer.disconnect();
  });

  afterAll(async () => {
    await stopConsumer?.();
    await browser?.close();
    await edge?.stop();
    await site?.close();
    await ingest?.close();
    await sink?.close();
    await broker?.stop();
  });

  const openPage = async (): Promise<Page> => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(
      site.pageUrl({
        key: KEY,
        endpoint: edge.url,
        flushInterval: 50,
        retryBase: 200,
        retryCap: 2000,
        autoPageViews: false,
      }),
    );
    await page.waitForFunction(() => !('_q' in (window as unknown as { pulse: object }).pulse));
    return page;
  };
  const track = (page: Page, name: string, from: number, to: number) =>
    page.evaluate(
      ([name, from, to]) => {
        for (let i = from; i < to; i++)
          (window as unknown as { pulse: { track(n: string, p: object): void } }).pulse.track(
            name,
            { seq: i },
          );
      },
      [name, from, to] as const,
    );
  const duplicates = (name: string) =>
    named(name).length - new Set(named(name).map((e) => e.event_id)).size;

  it('delivers every event the SDK tracked into Kafka, enriched and attributed to the key’s customer', async () => {
    const page = await openPage();
    await track(page, 'e2e-plain', 0, 100);
    expect(await waitFor(() => seqs('e2e-plain').size === 100, 60_000)).toBe(true);
    for (const event of named('e2e-plain')) {
      expect(event.customer_id).toBe('cust_e2e');
      expect(event.received_at).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(event.context.ip).not.toBe('127.0.0.1'); // the raw IP never leaves the edge
    }
    reportDuplicates('e2e-plain', duplicates('e2e-plain'), 100);
    await page.context().close();
  });

  it('lets the Node edge produce to Kafka directly with the same sink code', async () => {
    const { startNodeEdge } = await import('../../edge/src/adapters/node');
    const { createMemoryConfigStore } = await import('../../edge/src/config/memory-config-store');
    const direct = createKafkaSink({ brokers: [broker.brokers], clientId: 'pulse-edge' });
    const nodeEdge = await startNodeEdge({
      config: createMemoryConfigStore({
        pk_node: {
          customer_id: 'cust_node',
          allowed_origins: ['*'],
          rate: { per_second: 100, burst: 100 },
          routing: 'new',
        },
      }),
      sink: direct,
      ipSaltSecret: 'e2e-salt',
    });
    try {
      const now = new Date().toISOString();
      const events = Array.from({ length: 5 }, (_, i) => ({
        event_id: `node-direct-${i}-${Date.now()}`,
        visitor_id: 'v-node',
        event_type: 'custom',
        event_name: 'e2e-node-direct',
        properties: { seq: i },
        timestamp: now,
      }));
      const res = await fetch(`${nodeEdge.url}/v1/events?key=pk_node`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sent_at: now, events }),
      });
      expect(await res.json()).toEqual({ accepted: 5, rejected: [] });
      expect(await waitFor(() => seqs('e2e-node-direct').size === 5, 30_000)).toBe(true);
      expect(named('e2e-node-direct').every((e) => e.customer_id === 'cust_node')).toBe(true);
    } finally {
      await nodeEdge.close();
      await direct.close();
    }
  });

  it('loses nothing when ingest is killed mid-run and comes back', async () => {
    const page = await openPage();
    await track(page, 'e2e-ingest-down', 0, 50);
    await ingest.close();
    await track(page, 'e2e-ingest-down', 50, 100);
    await new Promise((r) => setTimeout(r, 2000)); // the edge answers 503; the SDK keeps the events
    await startIngestOnPort();
    expect(await waitFor(() => seqs('e2e-ingest-down').size === 100, 90_000)).toBe(true);
    reportDuplicates('e2e-ingest-down', duplicates('e2e-ingest-down'), 100);
    await page.context().close();
  });

  it('loses nothing when the Kafka broker is killed mid-run and restarted', async () => {
    const page = await openPage();
    await track(page, 'e2e-broker-down', 0, 50);
    await broker.kill9();
    await track(page, 'e2e-broker-down', 50, 100);
    await new Promise((r) => setTimeout(r, 2000));
    await broker.restart();
    expect(await waitFor(() => seqs('e2e-broker-down').size === 100, 90_000)).toBe(true);
    reportDuplicates('e2e-broker-down', duplicates('e2e-broker-down'), 100);
    await page.context().close();
  });
});
