import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { SinkBatch } from '@pulse/contract';
import { startNodeEdge, type NodeEdge } from '../../edge/src/adapters/node';
import { createMemoryConfigStore } from '../../edge/src/config/memory-config-store';
import { createFileLogSink, type FileLogSink } from '../../backend/src/sinks/file-log-sink';
import { launchChromium, startSite, type SiteServer } from '../browser/harness';
import { reportDuplicates } from '../browser/report';

const PER_SECOND = 20;
const BURST = 40;
const EVENTS = 400; // ten times the base rate, tracked within about two seconds

/**
 * A 10x spike over a customer's base rate: the edge answers 429 with Retry-After beyond the
 * burst, the SDK backs off, and every event still arrives in the durable log.
 */
describe('a traffic spike over the per-customer rate limit', () => {
  let dir: string;
  let sink: FileLogSink;
  let edge: NodeEdge;
  let site: SiteServer;
  let browser: Browser;
  const statuses: number[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pulse-spike-'));
    sink = createFileLogSink(join(dir, 'log.ndjson'));
    site = await startSite();
    edge = await startNodeEdge({
      config: createMemoryConfigStore({
        pk_spike: {
          customer_id: 'cust_spike',
          allowed_origins: [site.url],
          rate: { per_second: PER_SECOND, burst: BURST },
          routing: 'new',
        },
      }),
      sink,
      ipSaltSecret: 'spike-salt',
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await edge?.close();
    await site?.close();
    await sink?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is absorbed by the burst and the SDK’s back-off, with nothing lost', async () => {
    const page = await (await browser.newContext()).newPage();
    page.on('response', (r) => r.url().startsWith(edge.url) && statuses.push(r.status()));
    await page.goto(
      site.pageUrl({
        key: 'pk_spike',
        endpoint: edge.url,
        flushInterval: 50,
        maxBatchEvents: 20,
        retryBase: 200,
        retryCap: 3000,
        autoPageViews: false,
      }),
    );
    await page.waitForFunction(() => !('_q' in (window as unknown as { pulse: object }).pulse));
    await page.evaluate(
      (n) =>
        new Promise<void>((resolve) => {
          let i = 0;
          const tick = () => {
            for (let j = 0; j < 20 && i < n; j++, i++)
              (window as unknown as { pulse: { track(a: string, p: object): void } }).pulse.track(
                'spike',
                { seq: i },
              );
            if (i < n) setTimeout(tick, 100);
            else resolve();
          };
          tick();
        }),
      EVENTS,
    );
    const logged = async () =>
      (await sink.read())
        .flatMap((b: SinkBatch) => b.events)
        .filter((e) => e.event_name === 'spike');
    let events = await logged();
    const until = Date.now() + 90_000;
    while (new Set(events.map((e) => e.properties.seq)).size < EVENTS && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 500));
      events = await logged();
    }
    expect(new Set(events.map((e) => e.properties.seq)).size).toBe(EVENTS);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0); // the spike was real
    reportDuplicates(
      'rate-spike-10x',
      events.length - new Set(events.map((e) => e.event_id)).size,
      EVENTS,
    );
  });
});
