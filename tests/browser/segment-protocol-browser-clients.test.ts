import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../backend/src/start-backend';
import type { NodeEdge } from '../../edge/src/adapters/node';
import { openKey, startEdgeAndBackend } from '../fixtures/edge-and-backend';
import { waitUntil } from '../services/free-port';
import { launchChromium } from './harness';

/** analytics-next as a customer's bundler ships it, built from node_modules (no network). */
const analyticsNext = async () =>
  (
    await build({
      stdin: {
        contents: `import { AnalyticsBrowser } from '@segment/analytics-next'; window.AnalyticsBrowser = AnalyticsBrowser;`,
        resolveDir: new URL('.', import.meta.url).pathname,
        loader: 'js',
      },
      bundle: true,
      format: 'iife',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
      define: { 'process.env.NODE_ENV': '"production"' },
    })
  ).outputFiles[0]!.text;

interface StoredEvent {
  eventId: string;
  eventType: string;
  eventName: string;
  visitorId: string;
  userId: string | null;
  properties: Record<string, unknown>;
}

/**
 * Segment's analytics.js (analytics-next) in real Chromium, on an origin the key allows, with
 * one setting changed: `cdnURL` is the edge (which serves its settings, pointing delivery back
 * at itself). Default and batching delivery; every event stored exactly once.
 */
describe('analytics.js in Chromium into the edge and the backend', () => {
  let backend: Backend;
  let edge: NodeEdge;
  let stop: () => Promise<void>;
  let site: Server;
  let origin: string;
  let browser: Browser;

  beforeAll(async () => {
    const lib = await analyticsNext();
    site = createServer((req, res) => {
      if (req.url === '/analytics-next.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        return res.end(lib);
      }
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>shop</title><script src="/analytics-next.js"></script>');
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    ({ backend, edge, stop } = await startEdgeAndBackend({
      keys: { wk_ajs: { ...openKey('cust_ajs'), allowed_origins: [origin] } },
      apiKeys: { sk_ajs: 'cust_ajs' },
    }));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await stop?.();
    site?.closeAllConnections();
    await new Promise((resolve) => site?.close(resolve));
  });

  async function stored(): Promise<StoredEvent[]> {
    const res = await fetch(`${backend.url}/graphql`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk_ajs', 'content-type': 'application/json' },
      body: JSON.stringify({
        query:
          '{ recentEvents(limit: 100) { eventId eventType eventName visitorId userId properties } }',
      }),
    });
    return ((await res.json()) as { data: { recentEvents: StoredEvent[] } }).data.recentEvents;
  }

  it.each([
    ['default delivery', {}],
    [
      'batching delivery',
      {
        integrations: {
          'Segment.io': { deliveryStrategy: { strategy: 'batching', config: { size: 3 } } },
        },
      },
    ],
  ])('stores every event sent with %s exactly once', async (_name, options) => {
    const page = await browser.newPage();
    try {
      await page.goto(`${origin}/shop`);
      const sent = await page.evaluate(
        async ({ cdnURL, options }) => {
          type Ctx = { event: { messageId: string; userId?: string | null } };
          type Call = (...args: unknown[]) => Promise<Ctx>;
          const w = window as unknown as {
            AnalyticsBrowser: {
              load(
                settings: unknown,
                options: unknown,
              ): Promise<
                [{ track: Call; page: Call; identify: Call; user(): { anonymousId(): string } }]
              >;
            };
          };
          const [analytics] = await w.AnalyticsBrowser.load(
            { writeKey: 'wk_ajs', cdnURL },
            options,
          );
          const track = await analytics.track('Item Purchased', { revenue: 14.99 });
          const page = await analytics.page('Shop', { section: 'pricing' });
          const identify = await analytics.identify(`user-${Math.random()}`, { plan: 'pro' });
          const id = (ctx: Ctx) => ctx.event.messageId;
          return {
            ids: [id(track), id(page), id(identify)],
            anonymousId: analytics.user().anonymousId(),
            userId: identify.event.userId ?? null,
          };
        },
        { cdnURL: edge.url, options },
      );
      let events: StoredEvent[] = [];
      await waitUntil(
        'every event analytics.js sent stored',
        async () => {
          events = await stored();
          return sent.ids.every((id) => events.some((e) => e.eventId === id));
        },
        30_000,
      );
      const byId = (id: string) => events.filter((e) => e.eventId === id);
      for (const id of sent.ids) expect(byId(id), id).toHaveLength(1);
      expect(byId(sent.ids[0]!)[0]).toMatchObject({
        eventType: 'custom',
        eventName: 'Item Purchased',
        visitorId: sent.anonymousId,
        properties: { revenue: 14.99 },
      });
      expect(byId(sent.ids[1]!)[0]).toMatchObject({
        eventType: 'page_view',
        eventName: 'Shop',
        visitorId: sent.anonymousId,
      });
      expect(byId(sent.ids[2]!)[0]).toMatchObject({
        eventType: 'identify',
        visitorId: sent.anonymousId,
        userId: sent.userId,
      });
    } finally {
      await page.close();
    }
  });
});
