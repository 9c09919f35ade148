import { rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import type { PulseEvent } from '@pulse/contract';
import { startBackend, type Backend } from '../src/start-backend';
import { relativeOf, storeTable, type FileStore } from '../src/warehouse/file-store';
import { openChdbClient } from '../src/warehouse/open-client';
import { makeEvent, tempWarehousePath } from './warehouse-fixtures';

// The cold tier end to end on the embedded backend with its 7-day TTL: 101 days of imported
// history are archived as hourly Parquet files, the TTL drops the old rows from the
// warehouse, and the dashboard API still counts every event exactly, from the archive for
// old hours and the warehouse for recent ones. Run over each kind of file store (a directory,
// a bucket of a real S3-compatible server): every check reads the files through ClickHouse.

const DAY = 86_400_000;
const TODAY = Math.floor(Date.now() / DAY) * DAY;
const HOURS = [9, 13, 20];
const TYPES = ['page_view', 'click', 'custom'] as const;

/** Three events a day, 1 to 101 days back, of seven visitors; and one event a day of cust_b. */
function history(): PulseEvent[] {
  const events: PulseEvent[] = [];
  for (let day = 1; day <= 101; day++) {
    HOURS.forEach((hour, i) => {
      events.push(
        makeEvent({
          event_id: `e-${day}-${hour}`,
          timestamp: new Date(TODAY - day * DAY + hour * 3_600_000 + i * 60_000).toISOString(),
          visitor_id: `v${(day + i) % 7}`,
          session_id: `s-${day}-${(day + i) % 7}`,
          event_type: TYPES[i]!,
          event_name: TYPES[i]!,
          properties: { url: i === 0 ? '/pricing' : '/docs' },
        }),
      );
    });
    events.push(
      makeEvent({
        customer_id: 'cust_b',
        event_id: `b-${day}`,
        timestamp: new Date(TODAY - day * DAY + 12 * 3_600_000).toISOString(),
      }),
    );
  }
  return events;
}

const HISTORY = history();
const OURS = HISTORY.filter((e) => e.customer_id === 'cust_a');

/** Where a suite archives and exports: made once its data directory exists. */
export interface ColdTierStores {
  archive: FileStore;
  exports: FileStore;
}

/** The cold tier's tests over the stores `stores` makes (null: the default, `<dataDir>/archive`). */
export function coldTierSuite(name: string, stores: (dataDir: string) => ColdTierStores) {
  let dir: string;
  let backend: Backend;
  let admin: ClickHouseClient;
  let archive: FileStore;
  let exportTo: FileStore;

  beforeAll(async () => {
    dir = tempWarehousePath();
    ({ archive, exports: exportTo } = stores(dir));
    backend = await startBackend({
      dataDir: dir,
      port: 0,
      ingestSecret: 'x',
      tickMs: 0,
      archiveEveryMs: 0,
      apiKeys: { sk_a: 'cust_a', sk_b: 'cust_b' },
      archive,
      // The legacy count endpoint of the parity test listens on loopback.
      allowPrivateWebhooks: true,
    });
    // A second client on the same directory runs what the Warehouse does not offer: OPTIMIZE.
    admin = openChdbClient(join(dir, 'warehouse'));
    for (let at = 0; at < HISTORY.length; at += 500) {
      await backend.processor.process(HISTORY.slice(at, at + 500));
    }
  });

  afterAll(async () => {
    await backend?.stop();
    await admin?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function graphql<T>(query: string, variables: Record<string, unknown>, key = 'sk_a') {
    const res = await fetch(`${backend.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data: T; errors?: unknown };
    expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
    return body.data;
  }

  /** Distinct events per UTC day over the last 120 days, as the dashboard asks for them. */
  async function perDay(key = 'sk_a') {
    const { timeseries } = await graphql<{ timeseries: Array<{ start: string; count: number }> }>(
      `
        query ($from: DateTime!, $to: DateTime!) {
          timeseries(from: $from, to: $to, bucket: DAY) {
            start
            count
          }
        }
      `,
      { from: new Date(TODAY - 119 * DAY).toISOString(), to: new Date(TODAY + DAY).toISOString() },
      key,
    );
    return timeseries;
  }
  const expectedPerDay = (events: PulseEvent[]) => {
    const days = new Map<string, number>();
    for (const e of events) {
      const day = `${e.timestamp.slice(0, 10)}T00:00:00.000Z`;
      days.set(day, (days.get(day) ?? 0) + 1);
    }
    return [...days]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([start, count]) => ({ start, count }));
  };

  /** Every archive file with the SHA-256 of its bytes (read whole by ClickHouse: RawBLOB). */
  async function archiveDigest(): Promise<Record<string, string>> {
    const rows = await backend.warehouse.query<{ path: string; sha: string }>(
      `SELECT _path AS path, hex(SHA256(raw_blob)) AS sha
      FROM ${storeTable(archive, '*/*/*/events.parquet', 'RawBLOB')}`,
    );
    return Object.fromEntries(rows.map((row) => [relativeOf(row.path, 'customer_id'), row.sha]));
  }
  const waiting = async () =>
    Number(
      (
        await backend.warehouse.query<{ n: string }>('SELECT count() AS n FROM pulse.archive_old')
      )[0]!.n,
    );

  describe(name, () => {
    it('counts a history import exactly before the archiver has run', async () => {
      expect(await waiting()).toBeGreaterThan(0);
      expect(await perDay()).toEqual(expectedPerDay(OURS));
    });

    it('archives each customer hour once, and the 120-day query counts 101 days exactly after the TTL dropped them from the warehouse', async () => {
      const run = await backend.warehouse.archive(Date.now(), { watermarkLagMs: 0 });
      expect(run.hours).toBe(101 * 4);
      expect(run.files).toContain(
        `customer_id=cust_a/dt=${new Date(TODAY - DAY).toISOString().slice(0, 10)}/hour=09/events.parquet`,
      );
      // The waiting copies went into the files.
      expect(await waiting()).toBe(0);
      await admin.command({ query: 'OPTIMIZE TABLE pulse.events FINAL' });
      const warm = await backend.warehouse.eventCount('cust_a');
      expect(warm).toBeLessThan(OURS.length / 10); // only the last week is left there
      expect(await perDay()).toEqual(expectedPerDay(OURS));
      expect(await perDay('sk_b')).toEqual(
        expectedPerDay(HISTORY.filter((e) => e.customer_id === 'cust_b')),
      );
    });

    it('stitches a range over both tiers without counting twice', async () => {
      // The last 10 days: 3 of them only in the archive, 7 in both the archive and the warehouse.
      const from = TODAY - 10 * DAY;
      const { summary } = await graphql<{ summary: { events: number; uniqueVisitors: number } }>(
        `
          query ($from: DateTime!, $to: DateTime!) {
            summary(from: $from, to: $to) {
              events
              uniqueVisitors
            }
          }
        `,
        { from: new Date(from).toISOString(), to: new Date(TODAY + DAY).toISOString() },
      );
      const inRange = OURS.filter((e) => Date.parse(e.timestamp) >= from);
      expect(summary).toEqual({
        events: inRange.length,
        uniqueVisitors: new Set(inRange.map((e) => e.visitor_id)).size,
      });
      const { breakdown } = await graphql<{ breakdown: Array<{ value: string; count: number }> }>(
        `
          query ($from: DateTime!, $to: DateTime!) {
            breakdown(from: $from, to: $to, dimension: EVENT_TYPE) {
              value
              count
            }
          }
        `,
        { from: new Date(from).toISOString(), to: new Date(TODAY + DAY).toISOString() },
      );
      // Ten days, one event of each type a day: a tie, ordered by value.
      expect(breakdown).toEqual(
        [...TYPES].sort().map((value) => ({
          value,
          count: inRange.filter((e) => e.event_type === value).length,
        })),
      );
    });

    it('rewrites an hour to the same bytes, and a re-run import adds nothing', async () => {
      const before = await archiveDigest();
      expect(Object.keys(before)).toHaveLength(101 * 4);
      // The whole import again, resent: every hour gets a marker and is rewritten.
      for (let at = 0; at < HISTORY.length; at += 500) {
        await backend.processor.process(
          HISTORY.slice(at, at + 500).map((e) => ({ ...e, received_at: new Date().toISOString() })),
        );
      }
      const run = await backend.warehouse.archive(Date.now(), { watermarkLagMs: 0 });
      expect(run.hours).toBe(101 * 4);
      expect(await archiveDigest()).toEqual(before);
      expect(await perDay()).toEqual(expectedPerDay(OURS));
      // Nothing new: a run without new events writes nothing.
      expect((await backend.warehouse.archive(Date.now(), { watermarkLagMs: 0 })).hours).toBe(0);
    });

    it('backfills a 90-day segment from the archive, and its preview agrees', async () => {
      const clock = Math.max(...OURS.map((e) => Date.parse(e.timestamp)));
      const start = clock - 90 * DAY;
      const views = OURS.filter(
        (e) => e.event_type === 'page_view' && Date.parse(e.timestamp) > start,
      );
      const perVisitor = new Map<string, number>();
      for (const e of views) perVisitor.set(e.visitor_id, (perVisitor.get(e.visitor_id) ?? 0) + 1);
      const members = [...perVisitor]
        .filter(([, n]) => n >= 13)
        .map(([id]) => id)
        .sort();
      expect(members.length).toBeGreaterThan(0);
      expect(members.length).toBeLessThan(perVisitor.size);
      const rule = { event_type: 'page_view', min_count: 13, window: '90d' };
      const call = (path: string, body: unknown) =>
        fetch(`${backend.url}${path}`, {
          method: 'POST',
          headers: { authorization: 'Bearer sk_a', 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }).then((res) => res.json() as Promise<Record<string, Record<string, unknown>>>);
      const preview = await call('/v1/segments/preview', { rule });
      expect(preview).toMatchObject({ events_scanned: views.length, members: members.length });
      const created = await call('/v1/segments', { id: 'loyal', rule });
      expect(created.backfill).toMatchObject({
        events_scanned: views.length,
        members: members.length,
      });
      const page = await fetch(`${backend.url}/v1/segments/loyal/members?limit=100`, {
        headers: { authorization: 'Bearer sk_a' },
      }).then((res) => res.json() as Promise<{ members: string[] }>);
      expect([...page.members].sort()).toEqual(members);
    });

    it('exports a day older than the warm tier from the archive', async () => {
      const day = new Date(TODAY - 50 * DAY).toISOString().slice(0, 10);
      const done = await backend.warehouse.exportDay('cust_a', day, exportTo, ['ndjson']);
      const expected = OURS.filter((e) => e.timestamp.startsWith(day));
      expect(done.rows).toBe(expected.length);
      const lines = await backend.warehouse.query<{ line: string }>(
        `SELECT line FROM ${storeTable(exportTo, done.files[0]!, 'LineAsString')}`,
      );
      expect(lines.map(({ line }) => (JSON.parse(line) as { event_id: string }).event_id)).toEqual(
        expected.map((e) => e.event_id),
      );
    });

    it('compares parity with the legacy pipeline over archived hours too', async () => {
      // 31 days ending 40 days back: every hour of them is in the archive only.
      const to = TODAY - 40 * DAY;
      const from = to - 31 * DAY;
      const counts = new Map<string, { hour: string; event_type: string; count: number }>();
      for (const e of OURS) {
        const at = Date.parse(e.timestamp);
        if (at < from || at >= to) continue;
        const hour = new Date(Math.floor(at / 3_600_000) * 3_600_000).toISOString();
        const key = `${hour}|${e.event_type}`;
        const cell = counts.get(key) ?? { hour, event_type: e.event_type, count: 0 };
        cell.count += 1;
        counts.set(key, cell);
      }
      const legacy = createServer((_req, res) =>
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ counts: [...counts.values()] })),
      );
      await new Promise<void>((resolve) => legacy.listen(0, '127.0.0.1', resolve));
      try {
        const headers = { authorization: 'Bearer sk_a', 'content-type': 'application/json' };
        const url = `http://127.0.0.1:${(legacy.address() as AddressInfo).port}/counts`;
        const put = await fetch(`${backend.url}/v1/parity/source`, {
          method: 'PUT',
          headers,
          body: JSON.stringify({ url }),
        });
        expect(put.status).toBe(200);
        const range = `from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`;
        const res = await fetch(`${backend.url}/v1/parity?${range}`, { headers });
        expect(res.status).toBe(200);
        const report = (await res.json()) as {
          alert: boolean;
          totals: { legacy: number; pulse: number };
        };
        const expected = [...counts.values()].reduce((n, cell) => n + cell.count, 0);
        expect(expected).toBeGreaterThan(0);
        expect(report.totals).toMatchObject({ legacy: expected, pulse: expected });
        expect(report.alert).toBe(false);
      } finally {
        await new Promise((resolve) => legacy.close(resolve));
      }
    });

    it('deletes a profile from the archive too', async () => {
      const res = await fetch(`${backend.url}/v1/profiles/v3`, {
        method: 'DELETE',
        headers: { authorization: 'Bearer sk_a' },
      });
      expect(res.status).toBe(200);
      const left = await backend.warehouse.query<{ n: string }>(
        `SELECT count() AS n FROM ${storeTable(archive, 'customer_id=cust_a/*/*/events.parquet', 'Parquet')}
        WHERE visitor_id = 'v3'`,
      );
      expect(Number(left[0]!.n)).toBe(0);
      expect(await perDay()).toEqual(expectedPerDay(OURS.filter((e) => e.visitor_id !== 'v3')));
    });
  });
}
