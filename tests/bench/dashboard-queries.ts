import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBackend } from '../../backend/src/start-backend';
import { openChdbClient } from '../../backend/src/warehouse/open-client';
import { percentile, printTable } from './table';

const CUSTOMER = 'cust_dash';
const KEY = 'sk_dash';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Events in the warehouse, spread evenly over the last `DAYS` days (the 7 days it keeps). */
const EVENTS = Number(process.env.PULSE_BENCH_DASHBOARD_EVENTS ?? 10_000_000);
const DAYS = Number(process.env.PULSE_BENCH_DASHBOARD_DAYS ?? 7);
const VISITORS = 200_000;
/** Timed runs per panel (fewer for a 100M-event run, whose panels take seconds). */
const RUNS = Number(process.env.PULSE_BENCH_DASHBOARD_RUNS ?? 50);
/** An hour short of the days, so that no event ages past the 7-day retention mid-run. */
const SPAN_MS = DAYS * DAY - HOUR;

/** The dashboard's main panels over the last 24 hours (and the live ones), as GraphQL. */
const panels = (from: string, to: string): Array<{ name: string; query: string }> => [
  {
    name: 'events per hour, 24 h',
    query: `{ timeseries(from: "${from}", to: "${to}", bucket: HOUR) { start count uniqueVisitors sessions } }`,
  },
  {
    name: 'events per minute, 24 h',
    query: `{ timeseries(from: "${from}", to: "${to}", bucket: MINUTE) { start count } }`,
  },
  {
    name: 'page views per hour by country',
    query: `{ timeseries(from: "${from}", to: "${to}", bucket: HOUR, filter: { eventType: page_view }, breakdown: COUNTRY, breakdownLimit: 5) { start key count } }`,
  },
  {
    name: 'top pages, 24 h',
    query: `{ topPages(from: "${from}", to: "${to}", limit: 10) { page count uniqueVisitors } }`,
  },
  {
    name: 'funnel home → pricing → signup',
    query: `{ funnel(from: "${from}", to: "${to}", windowSeconds: 3600, steps: [{ eventType: page_view, page: "/" }, { eventType: page_view, page: "/pricing" }, { eventType: click, eventName: "signup" }]) { steps { index count conversion } } }`,
  },
  {
    name: 'top users, 24 h',
    query: `{ userCounts(from: "${from}", to: "${to}", limit: 10) { id count visitors } }`,
  },
  { name: 'live visitors (5 min)', query: '{ liveVisitors }' },
  { name: 'recent events (50)', query: '{ recentEvents(limit: 50) { eventId timestamp } }' },
];

/** How late an event may reach the warehouse (the generated ones are up to a minute late). */
const LATE_MS = 60_000;

/** Inserts the events are generated in. */
const INSERTS = 100;

/**
 * Fills the events table of a chdb warehouse with `EVENTS` generated events in INSERTS
 * INSERT … SELECTs (the rollup view fills as the processor's inserts fill it), and identity
 * links for a tenth of the visitors. Pages, names, countries and devices follow a fixed mix.
 * The events come in the order of their times, each up to LATE_MS late, as a live stream
 * reaches the warehouse, so each part holds a stretch of time as the processor's would. Their
 * ids are random, as Segment's clients send them (the SDK's UUIDv7 ids follow time).
 */
async function generate(path: string, now: number): Promise<number> {
  const client = openChdbClient(path);
  try {
    const started = Date.now();
    for (let insert = 0; insert < INSERTS; insert++) {
      const first = Math.floor((EVENTS * insert) / INSERTS);
      const count = Math.floor((EVENTS * (insert + 1)) / INSERTS) - first;
      await insertEvents(client, now, first, count);
    }
    await client.command({
      query: `INSERT INTO pulse.identities
        SELECT '${CUSTOMER}', concat('v', toString(number * 10)), concat('u', toString(number * 10)),
          fromUnixTimestamp64Milli(toInt64(${now - SPAN_MS}), 'UTC'), concat('login-', toString(number))
        FROM numbers(${VISITORS / 10})`,
    });
    return Date.now() - started;
  } finally {
    await client.close();
  }
}

/** Events `first` to `first + count - 1` of the generated `EVENTS`, in one INSERT. */
async function insertEvents(
  client: ReturnType<typeof openChdbClient>,
  now: number,
  first: number,
  count: number,
): Promise<void> {
  await client.command({
    query: `INSERT INTO pulse.events
        SELECT
          '${CUSTOMER}' AS customer_id,
          concat('e', hex(cityHash64(number, 9))) AS event_id,
          concat('v', toString(cityHash64(number, 1) % ${VISITORS})) AS visitor_id,
          if(cityHash64(number, 1) % ${VISITORS} % 10 = 0,
            concat('u', toString(cityHash64(number, 1) % ${VISITORS})), NULL) AS user_id,
          concat('s', toString(cityHash64(number, 1) % ${VISITORS}), '-',
            toString(intDiv(toUnixTimestamp64Milli(ts), ${HOUR}))) AS session_id,
          ['page_view', 'page_view', 'page_view', 'page_view', 'page_view', 'page_view',
            'click', 'click', 'custom', 'identify'][number % 10 + 1] AS event_type,
          multiIf(event_type = 'click', ['signup', 'buy', 'menu'][cityHash64(number, 2) % 3 + 1],
            event_type = 'custom', 'video_play', event_type = 'identify', 'identify', '')
            AS event_name,
          NULL AS previous_id,
          '{}' AS properties,
          '{}' AS context,
          ['/', '/pricing', '/features', '/docs', '/blog', '/login', '/about', '/careers']
            [cityHash64(number, 3) % 8 + 1] AS page,
          ['', '', 'https://google.com/', 'https://news.ycombinator.com/']
            [cityHash64(number, 4) % 4 + 1] AS referrer,
          ['US', 'DE', 'FR', 'GB', 'IN', 'BR', 'JP', 'CA'][cityHash64(number, 5) % 8 + 1]
            AS country,
          ['Chrome', 'Safari', 'Firefox', 'Edge'][cityHash64(number, 6) % 4 + 1] AS browser,
          ['desktop', 'mobile', 'tablet'][cityHash64(number, 7) % 3 + 1] AS device,
          fromUnixTimestamp64Milli(toInt64(${now - SPAN_MS} + intDiv(number * ${SPAN_MS}, ${EVENTS})
            - cityHash64(number, 8) % ${LATE_MS}), 'UTC') AS ts,
          ts AS original_timestamp,
          ts AS sent_at,
          ts AS received_at
        FROM numbers(${first}, ${count})`,
  });
}

/**
 * Waits (at most 3 minutes) until no merge of the bulk load is running: the panels are
 * measured over a settled table, as 10M events that arrived over days would be, not against
 * the merges of a 45-second load. Returns how long that took (ms).
 */
async function settle(query: (sql: string) => Promise<Array<{ n: string }>>): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < 180_000) {
    const [row] = await query(`SELECT count() AS n FROM system.merges WHERE database = 'pulse'`);
    if (Number(row?.n ?? 0) === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return Date.now() - started;
}

/**
 * Dashboard query latency (issue 6): the GraphQL panels over HTTP against the embedded
 * backend, whose chdb warehouse holds `EVENTS` generated events over the last `DAYS` days.
 * Each panel runs once to warm up, then `RUNS` times; p50 and p99 are of those runs.
 */
export async function benchDashboardQueries(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-bench-dashboard-'));
  const backend = await startBackend({
    dataDir: dir,
    port: 0,
    ingestSecret: 'bench-dashboard',
    tickMs: 0,
    apiKeys: { [KEY]: CUSTOMER },
    // The panels read the warm tier (the last 24 hours): no archiver working beside them.
    archive: null,
  });
  const results: Record<string, unknown> = { events: EVENTS, days: DAYS, visitors: VISITORS };
  try {
    const now = Date.now();
    const fillMs = await generate(join(dir, 'warehouse'), now);
    const settleMs = await settle((sql) => backend.warehouse.query<{ n: string }>(sql));
    const stored = await backend.warehouse.eventCount(CUSTOMER);
    if (stored !== EVENTS)
      throw new Error(`generated ${EVENTS} events, the warehouse holds ${stored}`);
    const from = new Date(now - DAY).toISOString();
    const to = new Date(now + 60_000).toISOString();
    const rows: Array<Array<string | number>> = [['panel', 'p50 ms', 'p99 ms', 'max ms']];
    for (const panel of panels(from, to)) {
      const times: number[] = [];
      for (let run = 0; run <= RUNS; run++) {
        const started = performance.now();
        const res = await fetch(`${backend.url}/graphql`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${KEY}`,
          },
          body: JSON.stringify({ query: panel.query }),
        });
        const body = (await res.json()) as { errors?: unknown[] };
        if (!res.ok || body.errors) {
          throw new Error(`${panel.name}: ${res.status} ${JSON.stringify(body.errors)}`);
        }
        if (run > 0) times.push(performance.now() - started);
      }
      const figures = {
        p50: Math.round(percentile(times, 50)),
        p99: Math.round(percentile(times, 99)),
        max: Math.round(Math.max(...times)),
      };
      rows.push([panel.name, figures.p50, figures.p99, figures.max]);
      results[panel.name] = figures;
    }
    printTable(rows);
    console.log(
      `(${EVENTS.toLocaleString('en')} events over ${DAYS} days, ${VISITORS.toLocaleString('en')} visitors, ` +
        `generated in time order (up to ${LATE_MS / 1000} s late, ${INSERTS} inserts) in ${(fillMs / 1000).toFixed(1)} s, merges settled ${(settleMs / 1000).toFixed(1)} s later; ` +
        `${RUNS} runs per panel over HTTP; ` +
        'goal: p99 < 200 ms for the last-24-hours panels, issue 6)',
    );
    results['fillMs'] = fillMs;
    results['settleMs'] = settleMs;
  } finally {
    await backend.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
