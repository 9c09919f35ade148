import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PulseEvent } from '@pulse/contract';
import { startBackend, type Backend } from '../src/start-backend';
import { makeEvent, tempWarehousePath } from './warehouse-fixtures';

// Subscriptions over SSE against a real embedded backend: each processed batch reaches the
// subscribers of its customer, and only them.

let dir: string;
let backend: Backend;
let sequence = 0;
const open: Array<() => void> = [];

/** Upper bound for one message, so a missing one fails the test instead of hanging it. */
const MESSAGE_BOUND_MS = 15_000;

/** A subscription read the way a dashboard reads it: fetch with Accept: text/event-stream. */
async function subscribe(query: string, key: string | null = 'sk_a') {
  const controller = new AbortController();
  const res = await fetch(`${backend.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      ...(key ? { authorization: `Bearer ${key}` } : {}),
    },
    body: JSON.stringify({ query }),
    signal: controller.signal,
  });
  open.push(() => controller.abort());
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  /** The `data` of the next `next` event of the stream (pings and other events skipped). */
  const readNext = async (): Promise<{ data?: unknown; errors?: unknown[] }> => {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = new Map(
          block
            .split('\n')
            .map((line) => [
              line.slice(0, line.indexOf(':')),
              line.slice(line.indexOf(':') + 1).trim(),
            ]),
        );
        if (fields.get('event') === 'next') return JSON.parse(fields.get('data') ?? '{}');
        if (fields.get('event') === 'complete') throw new Error('the subscription completed');
        continue;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error('the stream ended');
      buffer += value;
    }
  };
  const next = () => {
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no message within the bound')), MESSAGE_BOUND_MS);
    });
    return Promise.race([readNext(), bound]).finally(() => clearTimeout(timer));
  };
  return { status: res.status, res, next, close: () => controller.abort() };
}

const view = (customer: string, visitor: string, url: string, fields: Partial<PulseEvent> = {}) =>
  makeEvent({
    event_id: `evt-${++sequence}`,
    customer_id: customer,
    visitor_id: visitor,
    properties: { url },
    timestamp: new Date(Date.now() - 30_000 + sequence).toISOString(),
    ...fields,
  });

beforeAll(async () => {
  dir = tempWarehousePath();
  backend = await startBackend({
    dataDir: dir,
    port: 0,
    ingestSecret: 'x',
    tickMs: 0,
    apiKeys: { sk_a: 'cust_a', sk_b: 'cust_b' },
  });
});

afterAll(async () => {
  for (const close of open) close();
  await backend?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('eventCounts', () => {
  it('pushes fresh counts to each customer after its own batches only', async () => {
    const a = await subscribe(
      'subscription { eventCounts { at events lastFiveMinutes liveVisitors } }',
    );
    const b = await subscribe(
      'subscription { eventCounts { events lastFiveMinutes liveVisitors } }',
      'sk_b',
    );
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.res.headers.get('content-type')).toMatch(/text\/event-stream/);

    // B's batch first: A's subscriber must not hear of it.
    await backend.processor.process([view('cust_b', 'vb1', '/b'), view('cust_b', 'vb2', '/b')]);
    const first = view('cust_a', 'va1', '/home');
    const batch = [first, view('cust_a', 'va1', '/pricing'), view('cust_a', 'va2', '/home'), first];
    const before = Date.now();
    await backend.processor.process(batch);

    const fromA = (await a.next()).data as { eventCounts: Record<string, unknown> };
    expect(fromA.eventCounts).toMatchObject({ events: 3, lastFiveMinutes: 3, liveVisitors: 2 });
    expect(Date.parse(fromA.eventCounts['at'] as string)).toBeGreaterThanOrEqual(before);
    expect(await b.next()).toEqual({
      data: { eventCounts: { events: 2, lastFiveMinutes: 2, liveVisitors: 2 } },
    });

    // A resend of an event already counted: heard again (at least once), counted once.
    await backend.processor.process([first]);
    expect(await a.next()).toMatchObject({
      data: { eventCounts: { events: 1, lastFiveMinutes: 3, liveVisitors: 2 } },
    });
    a.close();
    b.close();
  });
});

describe('budgets', () => {
  it("reads the warehouse once per batch for all of a customer's eventCounts subscribers", async () => {
    const query = 'subscription { eventCounts { events lastFiveMinutes liveVisitors } }';
    const subscribers = await Promise.all(Array.from({ length: 5 }, () => subscribe(query)));
    // One batch first, so every stream is past its start and waiting for the next batch.
    await backend.processor.process([view('cust_a', 'va20', '/warm')]);
    for (const s of subscribers) await s.next();

    // Count the warehouse reads of the counts (the real warehouse, its calls counted).
    const warehouse = backend.warehouse;
    const query0 = warehouse.query.bind(warehouse);
    let countReads = 0;
    warehouse.query = (sql, params) => {
      if (sql.includes('AS events')) countReads++;
      return query0(sql, params);
    };
    try {
      await backend.processor.process([view('cust_a', 'va21', '/x'), view('cust_a', 'va22', '/y')]);
      const messages = await Promise.all(subscribers.map((s) => s.next()));
      for (const message of messages) {
        expect(message).toMatchObject({ data: { eventCounts: { events: 2 } } });
      }
      expect(countReads).toBe(1);
    } finally {
      warehouse.query = query0;
      for (const s of subscribers) s.close();
    }
  });
});

describe('over GET, as EventSource subscribes', () => {
  it('streams eventCounts to a GET with the query in the URL', async () => {
    const controller = new AbortController();
    open.push(() => controller.abort());
    const query = encodeURIComponent('subscription { eventCounts { events } }');
    const res = await fetch(`${backend.url}/graphql?query=${query}`, {
      headers: { accept: 'text/event-stream', authorization: 'Bearer sk_a' },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    await backend.processor.process([
      view('cust_a', 'va5', '/home'),
      view('cust_a', 'va5', '/docs'),
    ]);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes('event: next')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    expect(text).toContain('data: {"data":{"eventCounts":{"events":2}}}');
    controller.abort();
  });
});

describe('liveEvents', () => {
  it("streams the customer's new events, each once, and none of another customer", async () => {
    const a = await subscribe('subscription { liveEvents { eventId visitorId page eventType } }');
    const mine = [view('cust_a', 'va3', '/features'), view('cust_a', 'va3', '/pricing')];
    await backend.processor.process([view('cust_b', 'vb3', '/b-only'), ...mine, mine[0]!]);
    expect(await a.next()).toEqual({
      data: {
        liveEvents: mine.map((e) => ({
          eventId: e.event_id,
          visitorId: 'va3',
          page: e.properties['url'],
          eventType: 'page_view',
        })),
      },
    });
    a.close();
  });
});

describe('segmentChanges', () => {
  it("pushes the customer's segment enter changes, not another customer's", async () => {
    const rule = {
      event_type: 'page_view' as const,
      where: { 'properties.url': '/checkout' },
      min_count: 1,
      window: '7d',
    };
    await backend.store.putDefinition('cust_a', { id: 'checkout', rule });
    await backend.store.putDefinition('cust_b', { id: 'checkout', rule });
    const a = await subscribe('subscription { segmentChanges { segmentId id change reason at } }');
    const entering = view('cust_a', 'va9', '/checkout');
    await backend.processor.process([view('cust_b', 'vb9', '/checkout'), entering]);
    expect(await a.next()).toEqual({
      data: {
        segmentChanges: [
          {
            segmentId: 'checkout',
            id: 'va9',
            change: 'enter',
            reason: 'rule',
            at: entering.timestamp,
          },
        ],
      },
    });
    a.close();
  });
});

describe('leaving', () => {
  it('stops listening to the live feed when the client disconnects', async () => {
    const subscribeToFeed = backend.live.subscribe.bind(backend.live);
    let listening = 0;
    backend.live.subscribe = (listener) => {
      listening++;
      const stop = subscribeToFeed(listener);
      return () => {
        listening--;
        stop();
      };
    };
    try {
      const a = await subscribe('subscription { eventCounts { events } }');
      const b = await subscribe('subscription { segmentChanges { id } }');
      expect(listening).toBe(2);
      a.close();
      b.close();
      // The server hears the disconnect asynchronously: wait for it, within a bound.
      for (let i = 0; i < 200 && listening > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(listening).toBe(0);
    } finally {
      backend.live.subscribe = subscribeToFeed;
    }
  });
});

describe('subscription errors', () => {
  it('refuses a subscription without a key before opening a stream', async () => {
    const res = await fetch(`${backend.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'subscription { eventCounts { events } }' }),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      errors: [{ message: expect.any(String), extensions: { code: 'UNAUTHENTICATED' } }],
    });
  });
});
