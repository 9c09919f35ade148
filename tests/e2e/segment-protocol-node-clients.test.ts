import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import AnalyticsNodeClassic from 'analytics-node';
import { Analytics as SegmentAnalyticsNode } from '@segment/analytics-node';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import type { Backend } from '../../backend/src/start-backend';
import type { NodeEdge } from '../../edge/src/adapters/node';
import { openKey, startEdgeAndBackend } from '../fixtures/edge-and-backend';
import { waitUntil } from '../services/free-port';

const KEYS = {
  wk_classic: openKey('cust_classic'),
  wk_next: openKey('cust_next'),
  wk_rudder: openKey('cust_rudder'),
};
const API_KEYS = { sk_classic: 'cust_classic', sk_next: 'cust_next', sk_rudder: 'cust_rudder' };

interface StoredEvent {
  eventId: string;
  eventType: string;
  eventName: string;
  visitorId: string;
  userId: string | null;
  properties: Record<string, unknown>;
}

/**
 * Real Node clients of the Segment protocol, unchanged but for their host, sending to the Node
 * edge in front of the embedded backend: every event each sends is stored exactly once, with
 * its ids, name and properties. RudderStack's client gzips its batches and labels them
 * application/x-www-form-urlencoded.
 */
describe('Segment-protocol Node clients into the edge and the backend', () => {
  let backend: Backend;
  let edge: NodeEdge;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    ({ backend, edge, stop } = await startEdgeAndBackend({ keys: KEYS, apiKeys: API_KEYS }));
  });
  afterAll(() => stop?.());

  async function stored(secretKey: string): Promise<StoredEvent[]> {
    const res = await fetch(`${backend.url}/graphql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        query:
          '{ recentEvents(limit: 100) { eventId eventType eventName visitorId userId properties } }',
      }),
    });
    const body = (await res.json()) as { data?: { recentEvents: StoredEvent[] }; errors?: unknown };
    expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
    return body.data!.recentEvents;
  }

  /** The messages every client sends: a track, a page, an identify, with fresh ids. */
  function messages() {
    const anonymousId = `anon-${randomUUID()}`;
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    return {
      anonymousId,
      ids,
      track: {
        messageId: ids[0]!,
        anonymousId,
        event: 'Item Purchased',
        properties: { revenue: 14.99, sku: 'A-1' },
      },
      page: { messageId: ids[1]!, anonymousId, name: 'Pricing', properties: { path: '/pricing' } },
      identify: {
        messageId: ids[2]!,
        anonymousId,
        userId: `user-${anonymousId}`,
        traits: { plan: 'pro' },
      },
    };
  }

  async function expectStoredOnce(secretKey: string, sent: ReturnType<typeof messages>) {
    let events: StoredEvent[] = [];
    await waitUntil(
      'every sent event stored',
      async () => {
        events = await stored(secretKey);
        return sent.ids.every((id) => events.some((e) => e.eventId === id));
      },
      30_000,
    );
    const byId = (id: string) => events.filter((e) => e.eventId === id);
    for (const id of sent.ids) expect(byId(id), id).toHaveLength(1);
    expect(events.filter((e) => e.visitorId === sent.anonymousId)).toHaveLength(3);
    expect(byId(sent.ids[0]!)[0]).toMatchObject({
      eventType: 'custom',
      eventName: 'Item Purchased',
      visitorId: sent.anonymousId,
      properties: { revenue: 14.99, sku: 'A-1' },
    });
    expect(byId(sent.ids[1]!)[0]).toMatchObject({
      eventType: 'page_view',
      eventName: 'Pricing',
      visitorId: sent.anonymousId,
      properties: { path: '/pricing' },
    });
    expect(byId(sent.ids[2]!)[0]).toMatchObject({
      eventType: 'identify',
      visitorId: sent.anonymousId,
      userId: `user-${sent.anonymousId}`,
    });
  }

  it('stores every event of analytics-node 6.x (host: the edge) exactly once', async () => {
    const sent = messages();
    const client = new AnalyticsNodeClassic('wk_classic', { host: edge.url, flushAt: 100 });
    client.track(sent.track);
    client.page(sent.page);
    client.identify(sent.identify);
    await client.flush();
    await expectStoredOnce('sk_classic', sent);
  });

  it('stores every event of @segment/analytics-node 3.x (host: the edge) exactly once', async () => {
    const sent = messages();
    const errors: unknown[] = [];
    const client = new SegmentAnalyticsNode({ writeKey: 'wk_next', host: edge.url });
    client.on('error', (error) => errors.push(error));
    client.track(sent.track);
    client.page(sent.page);
    client.identify(sent.identify);
    await client.closeAndFlush({ timeout: 20_000 });
    expect(errors).toEqual([]);
    await expectStoredOnce('sk_next', sent);
  });

  it('stores every event of @rudderstack/rudder-sdk-node 3.x (dataPlaneUrl: the edge; gzip) exactly once', async () => {
    const sent = messages();
    const errors: unknown[] = [];
    const client = new RudderAnalytics('wk_rudder', {
      dataPlaneUrl: edge.url,
      flushAt: 100,
      errorHandler: (error: unknown) => errors.push(error),
    });
    client.track(sent.track);
    client.page(sent.page);
    client.identify(sent.identify);
    await client.flush();
    expect(errors).toEqual([]);
    await expectStoredOnce('sk_rudder', sent);
  });
});
