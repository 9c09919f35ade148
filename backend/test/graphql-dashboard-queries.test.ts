import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PulseEvent } from '@pulse/contract';
import { startBackend, type Backend } from '../src/start-backend';
import { makeEvent, tempWarehousePath } from './warehouse-fixtures';

// The queries behind the dashboard's range view, breakdown lists and profile pages, end to end
// on a real embedded backend. The events sit two days back from the wall clock, since profile
// lookups read the last 31 days.

const KEYS = { sk_a: 'cust_a', sk_b: 'cust_b' };
const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36';
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0';
const BASE = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 48 * 3_600_000;
const iso = (minute: number) => new Date(BASE + minute * 60_000).toISOString();

let dir: string;
let backend: Backend;

const view = (
  id: string,
  minute: number,
  visitor: string,
  path: string,
  session: string | null,
  more: Partial<PulseEvent> = {},
) =>
  makeEvent({
    event_id: id,
    timestamp: iso(minute),
    visitor_id: visitor,
    session_id: session,
    properties: { url: path },
    context: { user_agent: CHROME },
    ...more,
  });

const campaign = (source: string, name: string, userAgent = CHROME) => ({
  context: { user_agent: userAgent, campaign: { source, name } },
});

const events: PulseEvent[] = [
  // s1 (v1): / → /pricing → /signup; came from a newsletter campaign.
  view('e1', 0, 'v1', '/', 's1', campaign('newsletter', 'spring')),
  view('e2', 1, 'v1', '/pricing', 's1', campaign('newsletter', 'spring')),
  view('e3', 2, 'v1', '/signup', 's1', campaign('newsletter', 'spring')),
  // s2 (v2, Firefox): /pricing → /; then identifies as u2 with an email trait.
  view('e4', 5, 'v2', '/pricing', 's2', { context: { user_agent: FIREFOX } }),
  view('e5', 6, 'v2', '/', 's2', { context: { user_agent: FIREFOX } }),
  makeEvent({
    event_id: 'e6',
    timestamp: iso(7),
    visitor_id: 'v2',
    user_id: 'u2',
    session_id: 's2',
    event_type: 'identify',
    event_name: 'identify',
    properties: { email: 'Ada@Example.com', plan: 'pro' },
  }),
  // u2 again from a phone (v2b): one profile over two devices.
  view('e7', 30, 'v2b', '/pricing', 's3', { user_id: 'u2' }),
  // v3: a page view with no session (left out of entry and exit pages).
  view('e8', 40, 'v3', '/', null, campaign('ads', 'winter')),
  makeEvent({
    event_id: 'e9',
    timestamp: iso(41),
    visitor_id: 'v3',
    event_type: 'click',
    event_name: 'buy',
  }),
];

const otherCustomer = [
  view('b1', 3, 'vb', '/secret-b', 'sb', { customer_id: 'cust_b', ...campaign('b-src', 'b') }),
];

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
  await backend.processor.process([...events, ...otherCustomer]);
  // A resend of e1 and e7: counted once everywhere.
  await backend.processor.process([
    { ...events[0]!, received_at: iso(9) },
    { ...events[6]!, received_at: iso(50) },
  ]);
});

afterAll(async () => {
  await backend?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function query<T>(source: string, variables: Record<string, unknown> = {}, key = 'sk_a') {
  const res = await fetch(`${backend.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query: source, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: Array<{ message: string }> };
  return body;
}
async function data<T>(source: string, variables: Record<string, unknown> = {}, key = 'sk_a') {
  const body = await query<T>(source, variables, key);
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  return body.data!;
}

const RANGE = { from: iso(-60), to: iso(120) };

describe('summary', () => {
  const SUMMARY = `query($from: DateTime!, $to: DateTime!, $filter: EventFilter) {
    summary(from: $from, to: $to, filter: $filter) { events uniqueVisitors sessions pageViews }
  }`;

  it('gives the exact totals of a range, each resent event once', async () => {
    const { summary } = await data<{ summary: unknown }>(SUMMARY, RANGE);
    expect(summary).toEqual({ events: 9, uniqueVisitors: 4, sessions: 3, pageViews: 7 });
  });

  it('follows the filter, on the new dimensions too', async () => {
    const utm = await data<{ summary: unknown }>(SUMMARY, {
      ...RANGE,
      filter: { utmSource: 'newsletter' },
    });
    expect(utm.summary).toEqual({ events: 3, uniqueVisitors: 1, sessions: 1, pageViews: 3 });
    const firefox = await data<{ summary: { events: number } }>(SUMMARY, {
      ...RANGE,
      filter: { browser: 'Firefox' },
    });
    expect(firefox.summary.events).toBe(2);
  });

  it('reads only the key customer', async () => {
    const { summary } = await data<{ summary: unknown }>(SUMMARY, RANGE, 'sk_b');
    expect(summary).toEqual({ events: 1, uniqueVisitors: 1, sessions: 1, pageViews: 1 });
  });

  it('refuses a range longer than 31 days', async () => {
    const body = await query(SUMMARY, { from: iso(-32 * 1440), to: iso(0) });
    expect(body.errors?.[0]?.message).toMatch(/31 days/);
  });
});

describe('breakdown', () => {
  const BREAKDOWN = `query($from: DateTime!, $to: DateTime!, $dimension: Dimension!,
      $filter: EventFilter, $limit: Int) {
    breakdown(from: $from, to: $to, dimension: $dimension, filter: $filter, limit: $limit) {
      value count uniqueVisitors
    }
  }`;
  type Row = { value: string; count: number; uniqueVisitors: number };
  const rows = async (dimension: string, more: Record<string, unknown> = {}, key = 'sk_a') =>
    (
      await data<{ breakdown: Row[] }>(BREAKDOWN, { ...RANGE, dimension, ...more }, key)
    ).breakdown.map((r) => [r.value, r.count, r.uniqueVisitors]);

  it('ranks pages, entry pages and exit pages (those two per session)', async () => {
    expect(await rows('PAGE', { filter: { eventType: 'page_view' } })).toEqual([
      ['/', 3, 3],
      ['/pricing', 3, 3],
      ['/signup', 1, 1],
    ]);
    // s1 entered on /, s2 on /pricing, s3 on /pricing; v3's view has no session.
    expect(await rows('ENTRY_PAGE')).toEqual([
      ['/pricing', 2, 2],
      ['/', 1, 1],
    ]);
    expect(await rows('EXIT_PAGE')).toEqual([
      ['/', 1, 1],
      ['/pricing', 1, 1],
      ['/signup', 1, 1],
    ]);
    expect(await rows('ENTRY_PAGE', { filter: { eventType: 'click' } })).toEqual([]);
  });

  it('ranks campaigns, browsers and event names, and keeps the limit', async () => {
    expect(await rows('UTM_SOURCE')).toEqual([
      ['', 5, 3],
      ['newsletter', 3, 1],
      ['ads', 1, 1],
    ]);
    expect(await rows('UTM_CAMPAIGN', { limit: 2 })).toEqual([
      ['', 5, 3],
      ['spring', 3, 1],
    ]);
    expect(await rows('BROWSER', { filter: { eventType: 'page_view' } })).toEqual([
      ['Chrome', 5, 3],
      ['Firefox', 2, 1],
    ]);
    expect(await rows('EVENT_NAME', { filter: { utmSource: 'ads' } })).toEqual([
      ['page_view', 1, 1],
    ]);
  });

  it("never shows another customer's values", async () => {
    expect(await rows('UTM_SOURCE', {}, 'sk_b')).toEqual([['b-src', 1, 1]]);
    expect(JSON.stringify(await rows('PAGE'))).not.toContain('secret-b');
  });

  it('refuses a limit above 100', async () => {
    const body = await query(BREAKDOWN, { ...RANGE, dimension: 'PAGE', limit: 101 });
    expect(body.errors?.[0]?.message).toMatch(/limit/);
  });
});

describe('profiles', () => {
  const SEARCH = `query($query: String!) {
    profileSearch(query: $query) { id identified count visitors sessions lastSeen }
  }`;

  it('finds a profile by user id, by any of its visitor ids and by its email trait', async () => {
    const expected = [
      { id: 'u2', identified: true, count: 4, visitors: 2, sessions: 2, lastSeen: iso(30) },
    ];
    for (const q of ['u2', 'v2', 'v2b', 'ada@example.com', ' ADA@example.COM ']) {
      expect((await data<{ profileSearch: unknown }>(SEARCH, { query: q })).profileSearch).toEqual(
        expected,
      );
    }
    const anonymous = await data<{ profileSearch: unknown[] }>(SEARCH, { query: 'v1' });
    expect(anonymous.profileSearch).toEqual([
      { id: 'v1', identified: false, count: 3, visitors: 1, sessions: 1, lastSeen: iso(2) },
    ]);
  });

  it('finds nothing of another customer, and refuses an empty query', async () => {
    expect(
      (await data<{ profileSearch: unknown[] }>(SEARCH, { query: 'vb' })).profileSearch,
    ).toEqual([]);
    expect((await query(SEARCH, { query: '  ' })).errors?.[0]?.message).toMatch(/empty/);
  });

  it('gives the last activity of segment members by canonical id', async () => {
    const { profileActivity } = await data<{
      profileActivity: Array<{ id: string; count: number; lastSeen: string }>;
    }>(`{ profileActivity(ids: ["u2", "v3", "nobody", "vb"]) { id count lastSeen } }`);
    expect(profileActivity).toEqual([
      { id: 'u2', count: 4, lastSeen: iso(30) },
      { id: 'v3', count: 2, lastSeen: iso(41) },
    ]);
    const tooMany = Array.from({ length: 101 }, (_, i) => `id${i}`);
    const refused = await query(`query($ids: [String!]!) { profileActivity(ids: $ids) { id } }`, {
      ids: tooMany,
    });
    expect(refused.errors?.[0]?.message).toMatch(/at most 100/);
  });

  it("shows a profile's timeline across its devices, newest first, from any of its ids", async () => {
    const TIMELINE = `query($id: String!) {
      profileTimeline(id: $id) { eventId visitorId userId timestamp }
    }`;
    for (const id of ['u2', 'v2b']) {
      const { profileTimeline } = await data<{ profileTimeline: Array<{ eventId: string }> }>(
        TIMELINE,
        { id },
      );
      expect(profileTimeline.map((e) => e.eventId)).toEqual(['e7', 'e6', 'e5', 'e4']);
    }
    const other = await data<{ profileTimeline: unknown[] }>(TIMELINE, { id: 'vb' });
    expect(other.profileTimeline).toEqual([]);
  });
});
