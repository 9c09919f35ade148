import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PulseEvent, SegmentChange } from '@pulse/contract';
import { makeEvent } from './warehouse-fixtures';
import { minutesAgo, pageView, startApiBackend, viewsOf } from './segments-api-fixtures';

type Api = Awaited<ReturnType<typeof startApiBackend>>;
type Preview = {
  from: string;
  events_scanned: number;
  events_matched: number;
  members: number;
  complete: boolean;
};

/**
 * v1 views /pricing twice and logs in as u1, then views it once more from a phone (v2) as u1;
 * v3 views it twice, v4 once, and another customer's visitor three times.
 */
const traffic: PulseEvent[] = [
  pageView('cust_a', 'a1', 'v1', '/pricing', 300),
  pageView('cust_a', 'a2', 'v1', '/pricing', 200),
  makeEvent({
    customer_id: 'cust_a',
    event_id: 'a3',
    visitor_id: 'v1',
    user_id: 'u1',
    event_type: 'identify',
    timestamp: minutesAgo(150),
  }),
  pageView('cust_a', 'a4', 'v2', '/pricing', 100, { user_id: 'u1' }),
  pageView('cust_a', 'b1', 'v3', '/pricing', 50),
  pageView('cust_a', 'b2', 'v3', '/pricing', 40),
  pageView('cust_a', 'c1', 'v4', '/pricing', 30),
  pageView('cust_a', 'd1', 'v4', '/docs', 20),
  ...['x1', 'x2', 'x3'].map((id, i) => pageView('cust_b', id, 'vb', '/pricing', 10 + i)),
];

let api: Api;
const preview = (rule: unknown, key: 'sk_a' | 'sk_b' = 'sk_a') =>
  api.call<Preview>('POST', '/v1/segments/preview', { body: { rule }, key });

beforeAll(async () => {
  api = await startApiBackend();
  await api.backend.processor.process(traffic);
});
afterAll(async () => {
  await api?.stop();
});

describe('segment preview', () => {
  it('counts the profiles a rule would hold, stitched devices as one, and stores nothing', async () => {
    const heard: SegmentChange[] = [];
    const unsubscribe = api.backend.live.subscribe((batch) => heard.push(...batch.changes));
    const before = await api.backend.warehouse.eventCount('cust_a');
    try {
      // u1 (3 views over two devices) and v3 (2); v4 has one.
      const twice = await preview(viewsOf('p', '/pricing', 2).rule);
      expect(twice.status).toBe(200);
      expect(twice.body).toMatchObject({
        events_scanned: 7,
        events_matched: 6,
        members: 2,
        complete: true,
      });
      expect((await preview(viewsOf('p', '/pricing', 3).rule)).body.members).toBe(1);
      expect((await preview(viewsOf('p', '/pricing', 1).rule)).body.members).toBe(3);
      // The last 2 hours hold v2's view as u1, v3's two and v4's one.
      expect((await preview(viewsOf('p', '/pricing', 1, '2h').rule)).body).toMatchObject({
        events_matched: 4,
        members: 3,
      });
    } finally {
      unsubscribe();
    }
    expect(heard).toEqual([]);
    expect((await api.call<{ segments: unknown[] }>('GET', '/v1/segments')).body.segments).toEqual(
      [],
    );
    expect(await api.backend.warehouse.eventCount('cust_a')).toBe(before);
  });

  it('agrees with the members the segment gets when it is created', async () => {
    for (const [id, minCount] of [
      ['twice', 2],
      ['once', 1],
    ] as const) {
      const rule = viewsOf(id, '/pricing', minCount).rule;
      const predicted = (await preview(rule)).body.members;
      const created = await api.call<{ backfill: { members: number } }>('POST', '/v1/segments', {
        body: { id, rule },
      });
      expect(created.status).toBe(201);
      expect(created.body.backfill.members).toBe(predicted);
    }
  });

  it("reads only the key customer's events", async () => {
    expect((await preview(viewsOf('p', '/pricing', 3).rule, 'sk_b')).body).toMatchObject({
      events_scanned: 3,
      members: 1,
    });
  });

  it('names each broken field, so an editor can validate as the user types', async () => {
    const broken = await api.call<{ error: { code: string; issues: Array<{ path: string }> } }>(
      'POST',
      '/v1/segments/preview',
      { body: { rule: { event_type: 'page_view', min_count: 0, window: '7 days' } } },
    );
    expect(broken.status).toBe(422);
    expect(broken.body.error.issues.map((issue) => issue.path).sort()).toEqual([
      'rule.min_count',
      'rule.window',
    ]);
    expect((await api.call('POST', '/v1/segments/preview', { body: {}, key: null })).status).toBe(
      401,
    );
  });
});
