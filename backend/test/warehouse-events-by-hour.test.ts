import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type { PulseEvent } from '@pulse/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWarehouse } from '../src/warehouse/create-warehouse';
import { lookups, RESEND_WINDOW_MS, storedCopiesQuery } from '../src/warehouse/first-stored-times';
import { applyMigrations, EVENTS_SORTING_KEY, MIGRATIONS } from '../src/warehouse/migrations';
import { openChdbClient } from '../src/warehouse/open-client';
import type { WarehouseBatch } from '../src/warehouse/warehouse';
import { makeEvent, tempWarehousePath } from './warehouse-fixtures';

// Migration 9 sorts `events` by (customer_id, hour, event_id), so reads of a time range skip
// the rest, and the writer looks a batch's ids up only in the hours around their times. A
// warehouse that held events before must keep every row, fold resends as before and keep its
// views; a rebuild cut short by a crash must finish on the next open.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Noon of 2025-01-10: TTL is off in this file, so old days stay. */
const T0 = Date.UTC(2025, 0, 10, 12);
const iso = (ms: number) => new Date(ms).toISOString();
const batchOf = (events: PulseEvent[]): WarehouseBatch => ({ events, links: [], changes: [] });

let dir: string;
let client: ClickHouseClient;

beforeAll(() => {
  dir = tempWarehousePath();
  client = openChdbClient(join(dir, 'warehouse'));
});

afterAll(async () => {
  await client?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const rows = async <T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> =>
  (await client.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>();

/** Writes events the way the schema before migration 9 held them: one INSERT per row. */
async function insertOld(database: string, events: { id: string; ms: number }[]): Promise<void> {
  for (const { id, ms } of events) {
    await client.command({
      query: `INSERT INTO ${database}.events (customer_id, event_id, visitor_id, event_type,
          event_name, properties, context, page, referrer, country, browser, device, timestamp,
          original_timestamp, sent_at, received_at)
        SELECT 'cust_a', {id:String}, 'v1', 'page_view', 'page_view', '{}', '{}', '/', '', '',
          '', '', t, t, t, t
        FROM (SELECT fromUnixTimestamp64Milli({ms:Int64}, 'UTC') AS t)`,
      query_params: { id, ms },
    });
  }
}

const sortingKey = async (database: string) =>
  (
    await rows<{ sorting_key: string }>(
      `SELECT sorting_key FROM system.tables WHERE database = {d:String} AND name = 'events'`,
      { d: database },
    )
  )[0]?.sorting_key;

const tables = async (database: string) =>
  (
    await rows<{ name: string }>(
      `SELECT name FROM system.tables WHERE database = {d:String} AND name LIKE 'events%'
        ORDER BY name`,
      { d: database },
    )
  ).map((t) => t.name);

const storedIds = async (database: string) =>
  (
    await rows<{ event_id: string; t: string }>(
      `SELECT event_id, toString(timestamp) AS t FROM ${database}.events FINAL ORDER BY event_id`,
    )
  ).map((r) => `${r.event_id}@${r.t}`);

/** Old rows over three days, with two copies of `o2` stored apart (no merge yet). */
const OLD = [
  { id: 'o1', ms: T0 },
  { id: 'o2', ms: T0 + HOUR },
  { id: 'o2', ms: T0 + HOUR },
  { id: 'o3', ms: T0 + DAY },
  { id: 'o4', ms: T0 + 2 * DAY + 59_000 },
];
/** What `events` holds of OLD, once each. */
const OLD_STORED = [
  'o1@2025-01-10 12:00:00.000',
  'o2@2025-01-10 13:00:00.000',
  'o3@2025-01-11 12:00:00.000',
  'o4@2025-01-12 12:00:59.000',
];

/** A database at schema 8 holding OLD. */
async function oldWarehouse(database: string): Promise<void> {
  await applyMigrations(
    client,
    database,
    MIGRATIONS.filter((m) => m.version < 9),
  );
  await insertOld(database, OLD);
}

describe('events sorted by hour (migration 9)', () => {
  it('migrates a warehouse with events: every row kept, resends folded, views still fed', async () => {
    await oldWarehouse('old');
    expect(await sortingKey('old')).toBe('customer_id, event_id');

    const warehouse = await createWarehouse({
      path: join(dir, 'warehouse'),
      database: 'old',
      ttl: false,
    });
    try {
      expect(warehouse.schemaVersion).toBe(9);
      expect(await sortingKey('old')).toBe(EVENTS_SORTING_KEY);
      expect(await tables('old')).toEqual(['events']);
      expect(await storedIds('old')).toEqual([
        'o1@2025-01-10 12:00:00.000',
        'o2@2025-01-10 13:00:00.000',
        'o3@2025-01-11 12:00:00.000',
        'o4@2025-01-12 12:00:59.000',
      ]);

      // A resend of o4 whose correction moved it into the next minute, and a new event: the
      // resend is stored at o4's time and folds (its minute still counts 1), and the rollup
      // view, now on the new table, counts the new event.
      const resend = makeEvent({ event_id: 'o4', timestamp: iso(T0 + 2 * DAY + 60_010) });
      const fresh = makeEvent({ event_id: 'n1', timestamp: iso(T0 + 2 * DAY + 120_000) });
      await warehouse.write(batchOf([resend, fresh]));
      expect(await warehouse.eventCount('cust_a')).toBe(5);
      expect(await storedIds('old')).toContain('o4@2025-01-12 12:00:59.000');
      const minutes = await warehouse.rollups(
        'cust_a',
        new Date(T0 + 2 * DAY),
        new Date(T0 + 3 * DAY),
      );
      expect(minutes.map((m) => [m.minute, m.events])).toEqual([
        ['2025-01-12T12:00:00.000Z', { 'page_view:page_view': 1 }],
        ['2025-01-12T12:02:00.000Z', { 'page_view:page_view': 1 }],
      ]);
    } finally {
      await warehouse.close();
    }
  });

  it('starts a copy cut short before the exchange again, from the events', async () => {
    await oldWarehouse('cut_before');
    // What a crash during the copy leaves: a partial copy beside the untouched table.
    await client.command({
      query: `CREATE TABLE cut_before.events_by_hour AS cut_before.events
        ENGINE = ReplacingMergeTree ORDER BY (${EVENTS_SORTING_KEY})`,
    });
    await insertOld('cut_before', [{ id: 'partial', ms: T0 }]);
    await client.command({
      query: `INSERT INTO cut_before.events_by_hour SELECT * FROM cut_before.events
        WHERE event_id = 'partial'`,
    });
    await client.command({ query: `DELETE FROM cut_before.events WHERE event_id = 'partial'` });
    await client.command({
      query: `CREATE MATERIALIZED VIEW cut_before.events_by_hour_feed TO cut_before.events_by_hour
        AS SELECT * FROM cut_before.events`,
    });

    expect(await applyMigrations(client, 'cut_before')).toBe(9);
    expect(await sortingKey('cut_before')).toBe(EVENTS_SORTING_KEY);
    expect(await tables('cut_before')).toEqual(['events']);
    expect(await storedIds('cut_before')).toEqual(OLD_STORED);
  });

  it('drops the old table left by a crash after the exchange', async () => {
    await oldWarehouse('cut_after');
    await client.command({
      query: `CREATE TABLE cut_after.events_by_hour AS cut_after.events
        ENGINE = ReplacingMergeTree PARTITION BY toYYYYMMDD(timestamp)
        ORDER BY (${EVENTS_SORTING_KEY})`,
    });
    await client.command({
      query: `INSERT INTO cut_after.events_by_hour SELECT * FROM cut_after.events`,
    });
    await client.command({
      query: `CREATE MATERIALIZED VIEW cut_after.events_by_hour_feed TO cut_after.events_by_hour
        AS SELECT * FROM cut_after.events`,
    });
    await client.command({
      query: `EXCHANGE TABLES cut_after.events AND cut_after.events_by_hour`,
    });

    expect(await applyMigrations(client, 'cut_after')).toBe(9);
    expect(await sortingKey('cut_after')).toBe(EVENTS_SORTING_KEY);
    expect(await tables('cut_after')).toEqual(['events']);
    expect(await storedIds('cut_after')).toHaveLength(4);
  });
});

/**
 * The test's client, but `before` runs ahead of each command the migration sends: what another
 * process does at that moment.
 */
function interleaved(before: (query: string) => Promise<void>): ClickHouseClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'command') return Reflect.get(target, property, receiver);
      return async (params: { query: string }) => {
        await before(params.query);
        return target.command(params as never);
      };
    },
  });
}

describe('migration 9 beside other processes', () => {
  it("keeps the rows other processes' writers insert while it copies", async () => {
    await oldWarehouse('live');
    // Before each day's copy and before the exchange, a writer of another process stores an
    // event in the first day, which is copied from the second on.
    const written: { id: string; ms: number }[] = [];
    const writer = interleaved(async (query) => {
      if (!/^(INSERT INTO live\.events_by_hour |EXCHANGE)/.test(query)) return;
      const row = { id: `w${written.length}`, ms: T0 + 30 * 60_000 };
      written.push(row);
      await insertOld('live', [row]);
    });
    expect(await applyMigrations(writer, 'live')).toBe(9);
    expect(written.length).toBe(4); // before each of three days' copies, before the exchange
    expect(await tables('live')).toEqual(['events']);
    expect(await storedIds('live')).toEqual(
      [...OLD_STORED, ...written.map((w) => `${w.id}@2025-01-10 12:30:00.000`)].sort(),
    );
    // The rollup view counted each writer's event once, the migration's copies not at all.
    const [count] = await rows<{ n: string }>(
      `SELECT uniqExactMerge(events) AS n FROM live.rollup_minute
        WHERE minute = toDateTime('2025-01-10 12:30:00', 'UTC')`,
    );
    expect(Number(count?.n)).toBe(written.length);
  });

  it('is applied once when two processes open the warehouse at once', async () => {
    await oldWarehouse('twice');
    const exchanges: string[] = [];
    const counting = interleaved(async (query) => {
      if (/^EXCHANGE/.test(query)) exchanges.push(query);
    });
    const versions = await Promise.all([
      applyMigrations(counting, 'twice'),
      applyMigrations(counting, 'twice'),
    ]);
    expect(versions).toEqual([9, 9]);
    expect(exchanges).toHaveLength(1);
    expect(await sortingKey('twice')).toBe(EVENTS_SORTING_KEY);
    expect(await tables('twice')).toEqual(['events']);
    expect(await storedIds('twice')).toEqual(OLD_STORED);
    const [lock] = await rows<{ n: string }>(
      `SELECT count() AS n FROM system.tables WHERE database = 'twice' AND name LIKE 'schema_lock%'`,
    );
    expect(Number(lock?.n)).toBe(0);
  });
});

describe("the writer's duplicate lookup", () => {
  let warehouse: Awaited<ReturnType<typeof createWarehouse>>;
  /**
   * Ten days with two events each at noon (ids `a<day>` and `z<day>`), a day's partition and
   * part each: any id between them falls inside every part's key range of ids.
   */
  const days = Array.from({ length: 10 }, (_, day) =>
    ['a', 'z'].map((prefix) =>
      makeEvent({ event_id: `${prefix}${day}`, timestamp: iso(T0 + day * DAY) }),
    ),
  );

  beforeAll(async () => {
    warehouse = await createWarehouse({
      path: join(dir, 'warehouse'),
      database: 'lookup',
      ttl: false,
    });
    for (const events of days) await warehouse.write(batchOf(events));
  });
  afterAll(async () => {
    await warehouse?.close();
  });

  const stored = async (ids: string[]) =>
    (
      await rows<{ event_id: string; t: string }>(
        `SELECT event_id, toString(timestamp) AS t FROM lookup.events
          WHERE event_id IN {ids:Array(String)} ORDER BY event_id, t`,
        { ids },
      )
    ).map((r) => `${r.event_id}@${r.t}`);

  it('stores a copy within a day of its first copy at the first copy’s time', async () => {
    const late = { ...days[4]![0]!, timestamp: iso(T0 + 4 * DAY + RESEND_WINDOW_MS - 1_000) };
    const early = { ...days[5]![0]!, timestamp: iso(T0 + 5 * DAY - RESEND_WINDOW_MS + 1_000) };
    await warehouse.write(batchOf([late, early]));
    expect(await stored(['a4', 'a5'])).toEqual([
      'a4@2025-01-14 12:00:00.000',
      'a4@2025-01-14 12:00:00.000',
      'a5@2025-01-15 12:00:00.000',
      'a5@2025-01-15 12:00:00.000',
    ]);
  });

  it('stores a copy further than a day from its first copy at its own time', async () => {
    const far = { ...days[7]![0]!, timestamp: iso(T0 + 7 * DAY + RESEND_WINDOW_MS + HOUR) };
    await warehouse.write(batchOf([far]));
    expect(await stored(['a7'])).toEqual([
      'a7@2025-01-17 12:00:00.000',
      'a7@2025-01-18 13:00:00.000',
    ]);
  });

  it('splits a history import into lookups that each hold their ids’ windows, within bounds', () => {
    // 400 events a day apart: windows that never overlap, 49 hours each, 19,600 in all.
    const history = Array.from({ length: 400 }, (_, i) =>
      makeEvent({ event_id: `h${i}`, timestamp: iso(T0 - i * DAY - 1_000) }),
    );
    const all = lookups([...history, history[7]!]);
    expect(all.map((l) => l.ids.size).reduce((a, b) => a + b)).toBe(400);
    for (const lookup of all) expect(lookup.hours.size).toBeLessThanOrEqual(10_000);
    for (const event of history) {
      const lookup = all.find((l) => l.ids.has(event.event_id))!;
      const ms = Date.parse(event.timestamp);
      for (const at of [ms - RESEND_WINDOW_MS, ms, ms + RESEND_WINDOW_MS]) {
        expect(lookup.hours.has(Math.floor(at / HOUR))).toBe(true);
      }
    }
  });

  it('reads only the parts of the days around the batch, not every day of the customer', async () => {
    const [parts] = await rows<{ n: string }>(
      `SELECT count() AS n FROM system.parts
        WHERE database = 'lookup' AND table = 'events' AND active`,
    );
    expect(Number(parts!.n)).toBeGreaterThanOrEqual(10);
    const batch = [makeEvent({ event_id: 'm5', timestamp: iso(T0 + 5 * DAY) })];
    const [lookup] = lookups(batch);
    const { query, query_params } = storedCopiesQuery('lookup', ['cust_a'], lookup!);
    const explain = await client.query({
      query: `EXPLAIN indexes = 1 ${query}`,
      query_params,
      format: 'TabSeparatedRaw',
    });
    const text = await explain.text();
    // What the indexes leave to read: days 4 to 6 hold the window's hours. Without the hour
    // condition every day's part is read, as 'm5' lies between the ids of each.
    const read = /Parts: (\d+) \| Granules: (\d+)/.exec(text);
    expect(read, text).not.toBeNull();
    expect(Number(read![1]), text).toBeLessThanOrEqual(3);
  });
});
