import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER, signBody, type SinkBatch } from '@pulse/contract';
import { startBackend, type Backend } from '../src/start-backend';
import { pulseEvent } from './kafka-fixtures';
import { tempWarehousePath } from './warehouse-fixtures';

const SECRET = 'parity-secret';
const key = { authorization: 'Bearer sk_a', 'content-type': 'application/json' };
const hour = (h: number) => `2026-11-01T${String(h).padStart(2, '0')}:00:00.000Z`;

/** The legacy pipeline's count endpoint: outside Pulse, so a recording double. */
let legacy: Server;
let legacyUrl: string;
let legacyCounts: unknown = { counts: [] };
const legacyQueries: URLSearchParams[] = [];
let backend: Backend;
let dir: string;

beforeAll(async () => {
  legacy = createServer((req, res) => {
    legacyQueries.push(new URL(req.url ?? '/', 'http://x').searchParams);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(legacyCounts));
  });
  await new Promise<void>((resolve) => legacy.listen(0, '127.0.0.1', resolve));
  legacyUrl = `http://127.0.0.1:${(legacy.address() as AddressInfo).port}/counts`;
  dir = tempWarehousePath();
  backend = await startBackend({
    dataDir: dir,
    port: 0,
    ingestSecret: SECRET,
    tickMs: 0,
    ttl: false,
    opsPort: 0,
    apiKeys: { sk_a: 'cust_a', sk_b: 'cust_b' },
    allowPrivateWebhooks: true,
  });
  // Pulse's side: 3 page views and 1 click at 10:xx, 2 page views at 11:xx; another customer's too.
  const events = [
    ...[5, 20, 40].map((m) =>
      pulseEvent('cust_a', { timestamp: `2026-11-01T10:${String(m).padStart(2, '0')}:00.000Z` }),
    ),
    pulseEvent('cust_a', {
      event_type: 'click',
      event_name: 'buy',
      timestamp: '2026-11-01T10:50:00.000Z',
    }),
    ...[1, 2].map((m) => pulseEvent('cust_a', { timestamp: `2026-11-01T11:0${m}:00.000Z` })),
  ];
  const batch: SinkBatch = { customer_id: 'cust_a', events, dead_letters: [] };
  const other: SinkBatch = {
    customer_id: 'cust_b',
    events: [pulseEvent('cust_b', { timestamp: hour(10) })],
    dead_letters: [],
  };
  for (const body of [batch, other].map((b) => JSON.stringify(b))) {
    const res = await fetch(`${backend.url}/internal/ingest`, {
      method: 'POST',
      body,
      headers: { [SIGNATURE_HEADER]: await signBody(SECRET, body) },
    });
    expect(res.status, await res.clone().text()).toBe(200);
  }
  await backend.processor.idle();
});

afterAll(async () => {
  await backend?.stop();
  await new Promise((resolve) => legacy?.close(resolve));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const report = (query = `from=${hour(10)}&to=${hour(12)}`, headers: Record<string, string> = key) =>
  fetch(`${backend.url}/v1/parity?${query}`, { headers });

describe('the parity report of a customer in shadow', () => {
  it('needs the legacy count endpoint first, and a secret key', async () => {
    expect((await report()).status).toBe(404);
    expect((await report(undefined, {})).status).toBe(401);
    const put = await fetch(`${backend.url}/v1/parity/source`, {
      method: 'PUT',
      headers: key,
      body: JSON.stringify({ url: legacyUrl }),
    });
    expect(put.status).toBe(200);
  });

  it('compares counts per hour and type, alerts above 0.1%, and tells the operator', async () => {
    legacyCounts = {
      counts: [
        { hour: hour(10), event_type: 'page_view', count: 3 },
        { hour: hour(10), event_type: 'click', count: 1 },
        { hour: hour(11), event_type: 'page_view', count: 3 },
      ],
    };
    const res = await report();
    expect(res.status).toBe(200);
    const body = (await res.json()) as { alert: boolean; rows: unknown[]; totals: unknown };
    expect(body.rows).toEqual([
      { hour: hour(10), event_type: 'click', legacy: 1, pulse: 1, discrepancy: 0, alert: false },
      {
        hour: hour(10),
        event_type: 'page_view',
        legacy: 3,
        pulse: 3,
        discrepancy: 0,
        alert: false,
      },
      {
        hour: hour(11),
        event_type: 'page_view',
        legacy: 3,
        pulse: 2,
        discrepancy: 1 / 3,
        alert: true,
      },
    ]);
    expect(body.alert).toBe(true);
    expect(body.totals).toEqual({ legacy: 7, pulse: 6, discrepancy: 1 / 7 });
    expect(legacyQueries.at(-1)?.get('customer_id')).toBe('cust_a');
    expect(legacyQueries.at(-1)?.get('from')).toBe(hour(10));

    const metrics = await (await fetch(`${backend.opsUrl}/metrics`)).text();
    expect(metrics).toContain('pulse_parity_alerts_total{customer="cust_a"} 1');
    expect(metrics).toContain(`pulse_parity_discrepancy{customer="cust_a"} ${1 / 7}`);
  });

  it('compares the dashboard’s unique visitors per hour when the legacy answer gives them', async () => {
    const counts = [
      { hour: hour(10), event_type: 'page_view', count: 3 },
      { hour: hour(10), event_type: 'click', count: 1 },
      { hour: hour(11), event_type: 'page_view', count: 2 },
    ];
    const pulseVisitors = async () => {
      const rows = await backend.warehouse.query<{ hour: string; n: string }>(
        `SELECT toString(toStartOfHour(timestamp)) AS hour, toString(uniqExact(visitor_id)) AS n
          FROM pulse.events FINAL WHERE customer_id = 'cust_a' GROUP BY hour ORDER BY hour`,
      );
      return rows.map((row) => Number(row.n));
    };
    const [at10, at11] = await pulseVisitors();
    legacyCounts = {
      counts,
      visitors: [
        { hour: hour(10), unique_visitors: at10 },
        { hour: hour(11), unique_visitors: at11! + 1 },
      ],
    };
    const body = (await (await report()).json()) as {
      alert: boolean;
      rows: Array<{ alert: boolean }>;
      visitors: unknown;
    };
    expect(body.rows.some((row) => row.alert)).toBe(false);
    expect(body.visitors).toEqual([
      { hour: hour(10), legacy: at10, pulse: at10, discrepancy: 0, alert: false },
      {
        hour: hour(11),
        legacy: at11! + 1,
        pulse: at11,
        discrepancy: 1 / (at11! + 1),
        alert: true,
      },
    ]);
    expect(body.alert).toBe(true);
  });

  it('answers 502 with the reason when the legacy answer is not counts', async () => {
    legacyCounts = { totals: 'nope' };
    const res = await report();
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
      'legacy_unavailable',
    );
  });

  it('answers 502 naming the row when the legacy visitors are hostile, and keeps nothing of them', async () => {
    const counts = [{ hour: hour(10), event_type: 'page_view', count: 3 }];
    const row = { hour: hour(10), unique_visitors: 1 };
    const hostile: unknown[] = [
      [{ ...row, unique_visitors: -1 }],
      [{ ...row, unique_visitors: 1.5 }],
      [{ ...row, unique_visitors: 1e308 }],
      [{ ...row, unique_visitors: '3' }],
      [{ ...row, hour: 'yesterday' }],
      [{ ...row, hour: { $gt: '' } }],
      Array.from({ length: 10_001 }, () => row),
      { hour: hour(10) },
    ];
    for (const visitors of hostile) {
      legacyCounts = { counts, visitors };
      const res = await report();
      expect(res.status).toBe(502);
      const { error } = (await res.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe('legacy_unavailable');
      expect(error.message).toMatch(/visitors/);
    }
    // A sound answer right after: the hostile ones left nothing behind.
    legacyCounts = { counts, visitors: [row] };
    expect((await report()).status).toBe(200);
  });

  it('refuses ranges that are not times, reversed, or longer than 31 days', async () => {
    for (const query of [
      'from=yesterday&to=today',
      `from=${hour(12)}&to=${hour(10)}`,
      `from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z`,
    ]) {
      const res = await report(query);
      expect(res.status, query).toBe(400);
    }
  });
});
