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

/** A library as a customer's bundler ships it, built from node_modules (no network). */
const bundle = async (contents: string) =>
  (
    await build({
      stdin: {
        contents,
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
describe("analytics.js and RudderStack's browser SDK in Chromium into the edge and the backend", () => {
  let backend: Backend;
  let edge: NodeEdge;
  let stop: () => Promise<void>;
  let site: Server;
  let origin: string;
  let browser: Browser;

  beforeAll(async () => {
    const libs = [
      await bundle(
        `import { AnalyticsBrowser } from '@segment/analytics-next'; window.AnalyticsBrowser = AnalyticsBrowser;`,
      ),
      // RudderStack's npm entry with its plugins bundled (the default entry loads them from
      // RudderStack's CDN at run time, which this machine cannot reach).
      await bundle(
        `import { RudderAnalytics } from '@rudderstack/analytics-js/bundled'; window.RudderAnalytics = RudderAnalytics;`,
      ),
    ];
    site = createServer((req, res) => {
      if (req.url === '/analytics-next.js' || req.url === '/rudderstack.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        return res.end(libs[req.url === '/rudderstack.js' ? 1 : 0]);
      }
      res.writeHead(200, { 'content-type': 'text/html' });
      const lib = req.url === '/rudder-shop' ? '/rudderstack.js' : '/analytics-next.js';
      res.end(`<!doctype html><title>shop</title><script src="${lib}"></script>`);
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    ({ backend, edge, stop } = await startEdgeAndBackend({
      keys: {
        wk_ajs: { ...openKey('cust_ajs'), allowed_origins: [origin] },
        wk_rudder: { ...openKey('cust_rudder'), allowed_origins: [origin] },
      },
      apiKeys: { sk_ajs: 'cust_ajs', sk_rudder: 'cust_rudder' },
    }));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await stop?.();
    site?.closeAllConnections();
    await new Promise((resolve) => site?.close(resolve));
  });

  async function stored(secretKey = 'sk_ajs'): Promise<StoredEvent[]> {
    const res = await fetch(`${backend.url}/graphql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' },
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
  it("stores every event of RudderStack's v3 browser SDK (dataPlaneUrl and configUrl: the edge) exactly once", async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${origin}/rudder-shop`);
      const sent = await page.evaluate(async (edgeUrl) => {
        type Sent = { messageId: string; anonymousId: string; userId?: string };
        type Call = (...args: unknown[]) => void;
        const w = window as unknown as {
          RudderAnalytics: new () => {
            load(key: string, dataPlaneUrl: string, options: unknown): void;
            track: Call;
            page: Call;
            identify: Call;
          };
        };
        const rudder = new w.RudderAnalytics();
        rudder.load('wk_rudder', edgeUrl, { configUrl: edgeUrl });
        // The SDK calls back once it has taken the event, which it does only after it loaded.
        const called = (call: Call, ...args: unknown[]) =>
          new Promise<Sent>((resolve, reject) => {
            setTimeout(() => reject(new Error('the RudderStack SDK did not load in 20 s')), 20_000);
            call.call(rudder, ...args, resolve);
          });
        const track = await called(rudder.track, 'Item Purchased', { revenue: 14.99 });
        const page = await called(rudder.page, 'Shop', { section: 'pricing' });
        const identify = await called(rudder.identify, `user-${Math.random()}`, { plan: 'pro' });
        return {
          ids: [track.messageId, page.messageId, identify.messageId],
          anonymousId: track.anonymousId,
          userId: identify.userId ?? null,
        };
      }, edge.url);
      let events: StoredEvent[] = [];
      await waitUntil(
        'every event the RudderStack SDK sent stored',
        async () => {
          events = await stored('sk_rudder');
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
