import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getIntrospectionQuery } from 'graphql';
import type { PulseEvent } from '@pulse/contract';
import { startBackend, type Backend } from '../src/start-backend';
import { openChdbClient } from '../src/warehouse/open-client';
import { makeEvent, tempWarehousePath } from './warehouse-fixtures';

// The dashboard API end to end: a real embedded backend (chdb, LMDB), events fed through the
// processor, queries over HTTP. Range data lives on 2025-03-10 (ttl: false keeps it); live
// data is stamped relative to the wall clock.

const KEYS = { sk_a: 'cust_a', sk_b: 'cust_b' };
const DESKTOP = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36';
const PHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) AppleWebKit/605.1.15 Mobile/15E148';
const at = (time: string) => `2025-03-10T${time}Z`;

let dir: string;
let backend: Backend;

interface GraphqlBody {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

async function post(body: unknown, key: string | null = 'sk_a') {
  const res = await fetch(`${backend.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      ...(key ? { authorization: `Bearer ${key}` } : {}),
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) as GraphqlBody };
}

/** Runs a query that must succeed and returns its data. */
async function query<T = Record<string, unknown>>(
  source: string,
  variables: Record<string, unknown> = {},
  key = 'sk_a',
): Promise<T> {
  const { status, body } = await post({ query: source, variables }, key);
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  expect(status).toBe(200);
  return body.data as T;
}

/** Runs a query that must fail; returns its errors' codes and the raw answer. */
async function refused(source: string, variables: Record<string, unknown> = {}, key = 'sk_a') {
  const answer = await post({ query: source, variables }, key);
  expect(answer.body.errors?.length, answer.text).toBeGreaterThan(0);
  // Never a stack, a file path or the SQL behind a query.
  expect(answer.text).not.toMatch(/stack|\.ts:\d|node_modules|SELECT|pulse\.events/i);
  return {
    ...answer,
    codes: answer.body.errors!.map((e) => e.extensions?.['code']),
    fields: answer.body.errors!.map((e) => e.extensions?.['field']),
  };
}

const event = (id: string, time: string, fields: Partial<PulseEvent> = {}) =>
  makeEvent({ event_id: id, timestamp: time, ...fields });
const view = (id: string, time: string, visitor: string, path: string, more = {}) =>
  event(id, time, { visitor_id: visitor, properties: { url: path }, ...more });
const geo = (country: string, userAgent: string) => ({
  context: { geo: { country }, user_agent: userAgent },
});

/** Traffic on 2025-03-10 10:00–11:59 (time series, top pages). */
const traffic: PulseEvent[] = [
  view('a1', at('10:00:05.000'), 'v1', '/home', {
    session_id: 's1',
    ...geo('US', DESKTOP),
    properties: { url: '/home', referrer: 'https://google.com/' },
  }),
  view('a2', at('10:00:20.000'), 'v1', '/pricing', { session_id: 's1', ...geo('US', DESKTOP) }),
  view('a3', at('10:00:40.000'), 'v2', '/home', {
    session_id: 's2',
    ...geo('DE', PHONE),
    properties: { url: '/home', referrer: 'https://news.ycombinator.com/' },
  }),
  event('a4', at('10:01:10.000'), {
    visitor_id: 'v2',
    session_id: 's2',
    event_type: 'click',
    event_name: 'signup',
    context: { geo: { country: 'DE' }, user_agent: PHONE, page: { path: '/pricing' } },
  }),
  event('a5', at('10:02:00.000'), {
    visitor_id: 'v1',
    session_id: 's3',
    event_type: 'custom',
    event_name: 'purchase',
    ...geo('US', DESKTOP),
  }),
  view('a6', at('11:30:00.000'), 'v3', '/home', geo('FR', DESKTOP)),
];

/** Resends: new sent_at/received_at, a skew-corrected time a few ms off, one geolocated anew. */
const resends: PulseEvent[] = [
  {
    ...traffic[0]!,
    context: { geo: { country: 'CA' }, user_agent: DESKTOP },
    sent_at: at('10:05:00.000'),
    received_at: at('10:05:00.050'),
  },
  { ...traffic[1]!, timestamp: at('10:00:20.003'), received_at: at('10:06:00.000') },
  { ...traffic[1]!, timestamp: at('10:00:20.007'), received_at: at('10:07:00.000') },
];

/** Funnel traffic on 2025-03-10 14:00–14:59: /home → /pricing → purchase. */
const purchase = (id: string, time: string, visitor: string, user: string | null = null) =>
  event(id, time, {
    visitor_id: visitor,
    user_id: user,
    event_type: 'custom',
    event_name: 'purchase',
  });
const funnelTraffic: PulseEvent[] = [
  // f1: every step within a minute of the first.
  view('f1-1', at('14:00:00.000'), 'f1', '/home'),
  view('f1-2', at('14:01:00.000'), 'f1', '/pricing'),
  purchase('f1-3', at('14:02:00.000'), 'f1'),
  // f2: /pricing 20 minutes after /home: outside a 10-minute window, inside a 30-minute one.
  view('f2-1', at('14:00:00.000'), 'f2', '/home'),
  view('f2-2', at('14:20:00.000'), 'f2', '/pricing'),
  purchase('f2-3', at('14:21:00.000'), 'f2'),
  // f3: the steps in the wrong order.
  view('f3-1', at('14:00:00.000'), 'f3', '/pricing'),
  view('f3-2', at('14:01:00.000'), 'f3', '/home'),
  // f4 browses anonymously, logs in as u4, and buys from another device (f4b) as u4.
  view('f4-1', at('14:00:00.000'), 'f4', '/home'),
  view('f4-2', at('14:03:00.000'), 'f4', '/pricing'),
  event('f4-3', at('14:04:00.000'), {
    visitor_id: 'f4',
    user_id: 'u4',
    event_type: 'identify',
    event_name: 'identify',
  }),
  purchase('f4-4', at('14:05:00.000'), 'f4b', 'u4'),
  // f5: only the first step.
  view('f5-1', at('14:00:00.000'), 'f5', '/home'),
];

/**
 * 2025-03-10 16:00–16:59: 21 visitors with one view each, sent five times (stored as five
 * unmerged rows), and t1 with three views: t1 is the most active profile, though the others
 * have more rows.
 */
const inflated = Array.from({ length: 21 }, (_, i) =>
  view(`w${i}`, at(`16:${String(10 + i).padStart(2, '0')}:00.000`), `w${i}`, '/home'),
);
const busiest = ['16:00:00.000', '16:01:00.000', '16:02:00.000'].map((time, i) =>
  view(`t1-${i}`, at(time), 't1', '/home'),
);

/** Customer B, in the same minutes, with pages A has not. */
const customerB: PulseEvent[] = [
  view('b1', at('10:00:10.000'), 'vb', '/secret-b', { customer_id: 'cust_b' }),
  view('b2', at('10:00:30.000'), 'vb', '/home', { customer_id: 'cust_b' }),
  view('b3', at('14:00:00.000'), 'vb', '/home', { customer_id: 'cust_b' }),
  view('b4', at('14:01:00.000'), 'vb', '/pricing', { customer_id: 'cust_b' }),
  purchase('b5', at('14:02:00.000'), 'vb'),
].map((e) => ({ ...e, customer_id: 'cust_b' }));

beforeAll(async () => {
  dir = tempWarehousePath();
  backend = await startBackend({
    dataDir: dir,
    port: 0,
    ingestSecret: 'x',
    tickMs: 0,
    ttl: false,
    apiKeys: KEYS,
  });
  // Copies stay unmerged rows, as they are until a merge comes by: the queries that read
  // without FINAL (funnel, userCounts) must count each event once all the same.
  const client = openChdbClient(join(dir, 'warehouse'));
  await client.command({ query: 'SYSTEM STOP MERGES pulse.events' });
  await client.close();
  await backend.processor.process(traffic);
  await backend.processor.process([...resends, traffic[4]!]);
  await backend.processor.process(funnelTraffic);
  await backend.processor.process([...customerB, funnelTraffic[2]!]);
  // Every funnel event sent again, as an SDK resends a batch whose answer was lost.
  await backend.processor.process(
    funnelTraffic.map((e) => ({ ...e, received_at: at('15:30:00.000') })),
  );
  await backend.processor.process([...inflated, ...busiest]);
  for (let resend = 1; resend <= 4; resend++) {
    await backend.processor.process(
      inflated.map((e) => ({ ...e, received_at: at(`17:0${resend}:00.000`) })),
    );
  }
});

afterAll(async () => {
  await backend?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const TIMESERIES = `query Series($from: DateTime!, $to: DateTime!, $bucket: Bucket!,
    $filter: EventFilter, $breakdown: Breakdown, $breakdownLimit: Int) {
  timeseries(from: $from, to: $to, bucket: $bucket, filter: $filter, breakdown: $breakdown,
      breakdownLimit: $breakdownLimit) {
    start key count uniqueVisitors sessions
  }
}`;
type Bucket = {
  start: string;
  key: string | null;
  count: number;
  uniqueVisitors: number;
  sessions: number;
};
const series = async (variables: Record<string, unknown>, key = 'sk_a') =>
  (
    await query<{ timeseries: Bucket[] }>(
      TIMESERIES,
      { from: at('10:00:00.000'), to: at('12:00:00.000'), ...variables },
      key,
    )
  ).timeseries;

describe('timeseries', () => {
  it('counts each event once per minute however often it was resent', async () => {
    expect(await series({ bucket: 'MINUTE' })).toEqual([
      { start: at('10:00:00.000'), key: null, count: 3, uniqueVisitors: 2, sessions: 2 },
      { start: at('10:01:00.000'), key: null, count: 1, uniqueVisitors: 1, sessions: 1 },
      { start: at('10:02:00.000'), key: null, count: 1, uniqueVisitors: 1, sessions: 1 },
      { start: at('11:30:00.000'), key: null, count: 1, uniqueVisitors: 1, sessions: 0 },
    ]);
    expect(
      await backend.warehouse.eventCount(
        'cust_a',
        new Date(at('10:00:00.000')),
        new Date(at('12:00:00.000')),
      ),
    ).toBe(6);
  });

  it('buckets by hour and by day', async () => {
    expect(await series({ bucket: 'HOUR' })).toEqual([
      { start: at('10:00:00.000'), key: null, count: 5, uniqueVisitors: 2, sessions: 3 },
      { start: at('11:00:00.000'), key: null, count: 1, uniqueVisitors: 1, sessions: 0 },
    ]);
    expect(await series({ bucket: 'DAY' })).toEqual([
      { start: at('00:00:00.000'), key: null, count: 6, uniqueVisitors: 3, sessions: 3 },
    ]);
  });

  it('breaks down by event type, page, device and referrer', async () => {
    const byType = await series({ bucket: 'HOUR', breakdown: 'EVENT_TYPE' });
    expect(byType.map((b) => [b.start.slice(11, 16), b.key, b.count])).toEqual([
      ['10:00', 'click', 1],
      ['10:00', 'custom', 1],
      ['10:00', 'page_view', 3],
      ['11:00', 'page_view', 1],
    ]);
    const byPage = await series({ bucket: 'DAY', breakdown: 'PAGE' });
    expect(byPage.map((b) => [b.key, b.count, b.uniqueVisitors])).toEqual([
      ['', 1, 1],
      ['/home', 3, 3],
      ['/pricing', 2, 2],
    ]);
    const byDevice = await series({ bucket: 'DAY', breakdown: 'DEVICE' });
    expect(byDevice.map((b) => [b.key, b.count])).toEqual([
      ['desktop', 4],
      ['mobile', 2],
    ]);
    const byReferrer = await series({ bucket: 'DAY', breakdown: 'REFERRER', breakdownLimit: 2 });
    // The two referrers with most events: '' (4 events), then the first by name of the ties.
    expect(byReferrer.map((b) => [b.key, b.count])).toEqual([
      ['', 4],
      ['https://google.com/', 1],
    ]);
  });

  it('puts a resent event under one country even when the resend was geolocated elsewhere', async () => {
    const byCountry = await series({ bucket: 'DAY', breakdown: 'COUNTRY' });
    const counts = Object.fromEntries(byCountry.map((b) => [b.key, b.count]));
    expect(byCountry.reduce((sum, b) => sum + b.count, 0)).toBe(6);
    expect((counts['US'] ?? 0) + (counts['CA'] ?? 0)).toBe(3);
    expect(counts).toMatchObject({ DE: 2, FR: 1 });
  });

  it('filters by every dimension given', async () => {
    const german = await series({ bucket: 'HOUR', filter: { country: 'DE' } });
    expect(german.map((b) => [b.count, b.uniqueVisitors])).toEqual([[2, 1]]);
    const homeViews = await series({
      bucket: 'DAY',
      filter: { eventType: 'page_view', page: '/home', device: 'desktop' },
    });
    expect(homeViews.map((b) => b.count)).toEqual([2]);
    const fromHn = await series({
      bucket: 'DAY',
      filter: { referrer: 'https://news.ycombinator.com/' },
    });
    expect(fromHn.map((b) => b.count)).toEqual([1]);
    const purchases = await series({ bucket: 'DAY', filter: { eventName: 'purchase' } });
    expect(purchases.map((b) => b.count)).toEqual([1]);
  });

  it('counts visitors and sessions whichever way a query asks for them', async () => {
    const range = { from: at('10:00:00.000'), to: at('12:00:00.000') };
    const expected = [
      { count: 5, uniqueVisitors: 2, sessions: 3 },
      { count: 1, uniqueVisitors: 1, sessions: 0 },
    ];
    // Event counts alone skip the distinct counts; the counts asked for stay the same.
    const countsOnly = await query<{ timeseries: Array<{ count: number }> }>(
      `query Q($from: DateTime!, $to: DateTime!) {
        timeseries(from: $from, to: $to, bucket: HOUR) { count } }`,
      range,
    );
    expect(countsOnly.timeseries).toEqual(expected.map(({ count }) => ({ count })));
    const aliased = await query<{ t: Array<{ n: number; v: number; s: number }> }>(
      `query Q($from: DateTime!, $to: DateTime!) {
        t: timeseries(from: $from, to: $to, bucket: HOUR) { n: count v: uniqueVisitors s: sessions } }`,
      range,
    );
    expect(aliased.t).toEqual(
      expected.map(({ count, uniqueVisitors, sessions }) => ({
        n: count,
        v: uniqueVisitors,
        s: sessions,
      })),
    );
    const fragment = await query<{ timeseries: typeof expected }>(
      `query Q($from: DateTime!, $to: DateTime!) {
        timeseries(from: $from, to: $to, bucket: HOUR) { ...Counts }
      }
      fragment Counts on TimeBucket { count uniqueVisitors sessions }`,
      range,
    );
    expect(fragment.timeseries).toEqual(expected);
  });
});

describe('topPages', () => {
  const TOP = `query($from: DateTime!, $to: DateTime!, $limit: Int) {
    topPages(from: $from, to: $to, limit: $limit) { page count uniqueVisitors } }`;
  const range = { from: at('10:00:00.000'), to: at('12:00:00.000') };

  it('ranks pages by distinct page views (a click on a page is no view)', async () => {
    expect(await query(TOP, range)).toEqual({
      topPages: [
        { page: '/home', count: 3, uniqueVisitors: 3 },
        { page: '/pricing', count: 1, uniqueVisitors: 1 },
      ],
    });
    expect(await query(TOP, { ...range, limit: 1 })).toEqual({
      topPages: [{ page: '/home', count: 3, uniqueVisitors: 3 }],
    });
  });
});

describe('funnel', () => {
  const FUNNEL = `query($window: Int!) {
    funnel(from: "${at('14:00:00.000')}", to: "${at('15:00:00.000')}", windowSeconds: $window, steps: [
      { eventType: page_view, page: "/home" },
      { eventType: page_view, page: "/pricing" },
      { eventType: custom, eventName: "purchase" }
    ]) { windowSeconds steps { index eventType eventName page count conversion } }
  }`;
  type Funnel = {
    funnel: { windowSeconds: number; steps: Array<{ count: number; conversion: number }> };
  };

  it('counts profiles that did the steps in order within the window, stitched across devices', async () => {
    const { funnel } = await query<Funnel>(FUNNEL, { window: 600 });
    expect(funnel.windowSeconds).toBe(600);
    // Entered: f1, f2, f3 (its /home came after /pricing), u4 (f4's views), f5.
    // Then /pricing within 10 minutes: f1 and u4; purchase: f1 and u4 (bought as u4 on f4b).
    expect(funnel.steps).toEqual([
      { index: 0, eventType: 'page_view', eventName: null, page: '/home', count: 5, conversion: 1 },
      {
        index: 1,
        eventType: 'page_view',
        eventName: null,
        page: '/pricing',
        count: 2,
        conversion: 0.4,
      },
      {
        index: 2,
        eventType: 'custom',
        eventName: 'purchase',
        page: null,
        count: 2,
        conversion: 0.4,
      },
    ]);
  });

  it('lets a wider window take in steps that came later', async () => {
    const { funnel } = await query<Funnel>(FUNNEL, { window: 1800 });
    expect(funnel.steps.map((s) => s.count)).toEqual([5, 3, 3]);
  });
});

describe('resent events stored as copies', () => {
  it('are stored as rows of their own, not yet merged', async () => {
    const [row] = await backend.warehouse.query<{ rows: string; events: string }>(
      `SELECT count() AS rows, uniqExact(event_id) AS events FROM pulse.events
        WHERE customer_id = 'cust_a' AND event_id LIKE 'f%'`,
    );
    // Each of the 13 funnel events twice, f1-3 three times.
    expect([Number(row?.rows), Number(row?.events)]).toEqual([27, 13]);
  });
});

describe('userCounts', () => {
  it('counts distinct events per stitched user after an identify', async () => {
    const data = await query(
      `{ userCounts(from: "${at('14:00:00.000')}", to: "${at('15:00:00.000')}", limit: 3) {
        id identified count visitors sessions lastSeen } }`,
    );
    expect(data).toEqual({
      userCounts: [
        {
          id: 'u4',
          identified: true,
          count: 4,
          visitors: 2,
          sessions: 0,
          lastSeen: at('14:05:00.000'),
        },
        {
          id: 'f1',
          identified: false,
          count: 3,
          visitors: 1,
          sessions: 0,
          lastSeen: at('14:02:00.000'),
        },
        {
          id: 'f2',
          identified: false,
          count: 3,
          visitors: 1,
          sessions: 0,
          lastSeen: at('14:21:00.000'),
        },
      ],
    });
  });
});

describe('userCounts when copies outnumber events', () => {
  it('finds the most active profile, not the one with most stored rows', async () => {
    const data = await query<{ userCounts: Array<{ id: string; count: number }> }>(
      `{ userCounts(from: "${at('16:00:00.000')}", to: "${at('17:00:00.000')}", limit: 1) {
        id count } }`,
    );
    expect(data.userCounts).toEqual([{ id: 't1', count: 3 }]);
    const [row] = await backend.warehouse.query<{ rows: string }>(
      `SELECT count() AS rows FROM pulse.events WHERE customer_id = 'cust_a' AND event_id LIKE 'w%'`,
    );
    expect(Number(row?.rows)).toBe(105);
  });
});

describe('live queries', () => {
  it('counts visitors of the last 5 minutes and lists the newest events first', async () => {
    const now = Date.now();
    const ago = (ms: number) => new Date(now - ms).toISOString();
    await backend.processor.process([
      view('l1', ago(60_000), 'lv1', '/home'),
      view('l2', ago(30_000), 'lv1', '/pricing'),
      view('l3', ago(10_000), 'lv2', '/home', { properties: { url: '/home', plan: 'pro' } }),
      view('l4', ago(10 * 60_000), 'lv3', '/home'),
      view('lb', ago(5_000), 'lvb', '/home', { customer_id: 'cust_b' }),
    ]);
    await backend.processor.process([view('l3', ago(10_000), 'lv2', '/home')]);
    const data = await query<{
      liveVisitors: number;
      recentEvents: Array<{
        eventId: string;
        page: string;
        properties: unknown;
        visitorId: string;
      }>;
    }>(`{ liveVisitors recentEvents(limit: 3) { eventId visitorId page properties } }`);
    expect(data.liveVisitors).toBe(2);
    expect(data.recentEvents.map((e) => e.eventId)).toEqual(['l3', 'l2', 'l1']);
    expect(data.recentEvents[0]).toMatchObject({ visitorId: 'lv2', page: '/home' });
    // Four need a look past the last 5 minutes: l4 is 10 minutes old.
    const four = await query<{ recentEvents: Array<{ eventId: string }> }>(
      `{ recentEvents(limit: 4) { eventId } }`,
    );
    expect(four.recentEvents.map((e) => e.eventId)).toEqual(['l3', 'l2', 'l1', 'l4']);
    expect(await query(`{ liveVisitors }`, {}, 'sk_b')).toEqual({ liveVisitors: 1 });
  });
});

describe('tenancy and auth', () => {
  it('answers a key of B with B data only, for the same ranges', async () => {
    const range = { from: at('10:00:00.000'), to: at('12:00:00.000') };
    const data = await query<{ topPages: Array<{ page: string }>; timeseries: Bucket[] }>(
      `query($from: DateTime!, $to: DateTime!) {
        topPages(from: $from, to: $to) { page }
        timeseries(from: $from, to: $to, bucket: DAY) { count }
      }`,
      range,
      'sk_b',
    );
    expect(data.topPages.map((p) => p.page)).toEqual(['/home', '/secret-b']);
    expect(data.timeseries.map((b) => b.count)).toEqual([2]);
    const pagesOfA = await query<{ topPages: Array<{ page: string }> }>(
      `query($from: DateTime!, $to: DateTime!) { topPages(from: $from, to: $to) { page } }`,
      range,
    );
    expect(pagesOfA.topPages.map((p) => p.page)).not.toContain('/secret-b');
  });

  it('has no way to name a customer in a query', async () => {
    const { codes } = await refused(`{ liveVisitors(customer: "cust_b") }`);
    expect(codes).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('refuses a missing, malformed or unknown key with UNAUTHENTICATED', async () => {
    for (const key of [null, 'sk_nobody']) {
      const answer = await post({ query: '{ liveVisitors }' }, key);
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({
        errors: [{ message: expect.any(String), extensions: { code: 'UNAUTHENTICATED' } }],
      });
    }
    const basic = await fetch(`${backend.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Token sk_a' },
      body: JSON.stringify({ query: '{ liveVisitors }' }),
    });
    expect(basic.status).toBe(401);
  });
});

describe('input errors', () => {
  const range = (from: string, to: string, bucket = 'MINUTE') =>
    `{ timeseries(from: "${from}", to: "${to}", bucket: ${bucket}) { count } }`;

  it('refuses bad ranges, limits and steps with BAD_USER_INPUT naming the field', async () => {
    const cases: Array<[string, string]> = [
      [range(at('12:00:00.000'), at('10:00:00.000')), 'to'],
      [range('2025-03-01T00:00:00Z', '2025-03-04T00:00:00Z'), 'from'],
      [range('2025-01-01T00:00:00Z', '2025-03-04T00:00:00Z', 'HOUR'), 'from'],
      [
        `{ topPages(from: "${at('10:00:00.000')}", to: "${at('11:00:00.000')}", limit: 1001) { page } }`,
        'limit',
      ],
      [`{ recentEvents(limit: 0) { eventId } }`, 'limit'],
      [
        `{ timeseries(from: "${at('10:00:00.000')}", to: "${at('11:00:00.000')}", bucket: HOUR,
            breakdown: PAGE, breakdownLimit: 500) { count } }`,
        'breakdownLimit',
      ],
      [
        `{ funnel(from: "${at('10:00:00.000')}", to: "${at('11:00:00.000')}", windowSeconds: 60,
            steps: [{ eventType: page_view }]) { windowSeconds } }`,
        'steps',
      ],
      [
        `{ funnel(from: "${at('10:00:00.000')}", to: "${at('11:00:00.000')}", windowSeconds: 0,
            steps: [{ eventType: page_view }, { eventType: click }]) { windowSeconds } }`,
        'windowSeconds',
      ],
    ];
    for (const [source, field] of cases) {
      const answer = await refused(source);
      expect(answer.codes, source).toEqual(['BAD_USER_INPUT']);
      expect(answer.fields, source).toEqual([field]);
      expect(answer.body.errors![0]!.message).toContain(field);
    }
  });

  it('refuses malformed instants as literals and as variables', async () => {
    expect((await refused(range('yesterday', at('10:00:00.000')))).codes).toEqual([
      'BAD_USER_INPUT',
    ]);
    const asVariable = await refused(
      `query($from: DateTime!) { topPages(from: $from, to: "${at('10:00:00.000')}") { page } }`,
      { from: '2025-03-10 09:00' },
    );
    expect(asVariable.codes).toEqual(['BAD_USER_INPUT']);
    const missing = await refused(
      `query($from: DateTime!) { topPages(from: $from, to: "${at('10:00:00.000')}") { page } }`,
    );
    expect(missing.codes).toEqual(['BAD_USER_INPUT']);
  });

  it('gives unparsable and unknown-field queries their codes', async () => {
    expect((await refused('{ timeseries(')).codes).toEqual(['GRAPHQL_PARSE_FAILED']);
    const unknown = await refused('{ liveVisitors secretTable }');
    expect(unknown.codes).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });
});

describe('query limits', () => {
  it('refuses too many aliases, too much cost, too much depth and too many tokens', async () => {
    const aliases = Array.from({ length: 9 }, (_, i) => `v${i}: liveVisitors`).join(' ');
    expect((await refused(`{ ${aliases} }`)).codes).toContain('QUERY_TOO_COMPLEX');

    const everything =
      'eventId eventType eventName visitorId userId sessionId page referrer country device properties timestamp receivedAt';
    const costly = Array.from(
      { length: 8 },
      (_, i) => `e${i}: recentEvents(limit: 1000) { ${everything} }`,
    ).join(' ');
    const cost = await refused(`{ ${costly} }`);
    expect(cost.codes).toEqual(['QUERY_TOO_COMPLEX']);
    expect(cost.body.errors![0]!.message).toMatch(/cost/i);

    const deep = await refused(
      '{ __type(name: "Query") { fields { type { fields { type { fields { name } } } } } } }',
    );
    expect(deep.codes).toContain('QUERY_TOO_COMPLEX');
    expect(deep.body.errors!.map((e) => e.message).join()).toMatch(/depth/i);

    const huge = await refused(`{ ${Array.from({ length: 2100 }, () => '__typename').join(' ')} }`);
    expect(huge.codes).toEqual(['QUERY_TOO_COMPLEX']);
  });

  it('accepts the standard introspection query that clients and codegen send', async () => {
    const data = await query<{ __schema: { queryType: { name: string } } }>(
      getIntrospectionQuery(),
    );
    expect(data.__schema.queryType.name).toBe('Query');
  });

  it('accepts the dashboard overview query', async () => {
    const data = await query<{ timeseries: Bucket[] }>(
      `query Overview($from: DateTime!, $to: DateTime!) {
        timeseries(from: $from, to: $to, bucket: MINUTE) { start count uniqueVisitors }
        totals: timeseries(from: $from, to: $to, bucket: DAY) { count uniqueVisitors }
        topPages(from: $from, to: $to, limit: 8) { page count }
        liveVisitors
        recentEvents(limit: 25) { eventType eventName visitorId userId page timestamp }
      }`,
      { from: at('10:00:00.000'), to: at('10:30:00.000') },
    );
    expect(data.timeseries.reduce((sum, b) => sum + b.count, 0)).toBe(5);
  });
});
