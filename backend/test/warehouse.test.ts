import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MinuteRollup, PulseEvent } from '@pulse/contract';
import { createWarehouse } from '../src/warehouse/create-warehouse';
import { openChdbClient } from '../src/warehouse/open-client';
import type { Warehouse, WarehouseBatch } from '../src/warehouse/warehouse';
import { makeEvent, tempWarehousePath } from './warehouse-fixtures';

const path = tempWarehousePath();
const from = new Date('2025-01-21T00:00:00.000Z');
const to = new Date('2025-01-22T00:00:00.000Z');
const batchOf = (events: PulseEvent[]): WarehouseBatch => ({ events, links: [], changes: [] });

/** Three minutes of one customer, with the rollups worked out by hand below. */
const traffic: PulseEvent[] = [
  makeEvent({
    event_id: 'e1',
    session_id: 's1',
    event_name: '/pricing',
    properties: { path: '/pricing' },
    timestamp: '2025-01-21T10:30:00.000Z',
  }),
  makeEvent({
    event_id: 'e2',
    session_id: 's1',
    event_name: '/pricing',
    properties: { url: 'https://shop.example/pricing?plan=pro' },
    timestamp: '2025-01-21T10:30:59.999Z',
  }),
  makeEvent({
    event_id: 'e3',
    visitor_id: 'v2',
    event_type: 'click',
    event_name: 'buy',
    timestamp: '2025-01-21T10:30:10.000Z',
  }),
  makeEvent({
    event_id: 'e4',
    visitor_id: 'v2',
    session_id: 's2',
    event_name: 'docs',
    context: { page: { path: '/docs' } },
    timestamp: '2025-01-21T10:31:00.000Z',
  }),
  // A page view with no page at all counts as an event, not as a page.
  makeEvent({ event_id: 'e5', visitor_id: 'v3', timestamp: '2025-01-21T10:33:30.500Z' }),
];

const expectedRollups: MinuteRollup[] = [
  {
    minute: '2025-01-21T10:30:00.000Z',
    events: { 'page_view:/pricing': 2, 'click:buy': 1 },
    visitors: 2,
    sessions: 1,
    pages: { '/pricing': 2 },
  },
  {
    minute: '2025-01-21T10:31:00.000Z',
    events: { 'page_view:docs': 1 },
    visitors: 1,
    sessions: 1,
    pages: { '/docs': 1 },
  },
  {
    minute: '2025-01-21T10:33:00.000Z',
    events: { 'page_view:page_view': 1 },
    visitors: 1,
    sessions: 0,
    pages: {},
  },
];

describe('warehouse on chdb', () => {
  let warehouse: Warehouse;
  beforeAll(async () => {
    warehouse = await createWarehouse({ path, ttl: false });
  });
  afterAll(async () => {
    await warehouse?.close();
    rmSync(path, { recursive: true, force: true });
  });

  it('applies its migrations once, however often it is opened', async () => {
    expect(warehouse.schemaVersion).toBe(9);
    const again = await createWarehouse({ path, ttl: false });
    expect(again.schemaVersion).toBe(9);
    const applied = await again.query<{ version: number }>(
      'SELECT version FROM pulse.schema_migrations ORDER BY version',
    );
    expect(applied).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9].map((version) => ({ version })));
    await again.close();
  });

  it('stores a batch written again after its rows were lost: no block deduplication', async () => {
    // What a kill -9 in the middle of an insert could leave: ClickHouse had logged the
    // block's hash, but the part holding the rows was never committed. Simulated by removing
    // the parts of the batch's day (its own) from disk while the warehouse is closed. It is
    // written twice first, as a replay would: chdb deduplicated only once its log was warm.
    const customer = 'cust_replayed_block';
    const batch = batchOf(
      ['r1', 'r2'].map((id) =>
        makeEvent({ customer_id: customer, event_id: id, timestamp: '2025-02-02T11:00:00.000Z' }),
      ),
    );
    await warehouse.write(batch);
    await warehouse.write(batch);
    expect(await warehouse.eventCount(customer)).toBe(2);
    const parts = await warehouse.query<{ path: string }>(
      `SELECT path FROM system.parts
        WHERE database = 'pulse' AND table = 'events' AND partition = '20250202' AND active`,
    );
    expect(parts.length).toBeGreaterThan(0);
    await warehouse.close();
    for (const part of parts) rmSync(part.path, { recursive: true, force: true });
    warehouse = await createWarehouse({ path, ttl: false });
    expect(await warehouse.eventCount(customer)).toBe(0);
    await warehouse.write(batch);
    expect(await warehouse.eventCount(customer)).toBe(2);
  });

  it('rolls events up per minute exactly as counted by hand', async () => {
    await warehouse.write(batchOf(traffic));
    expect(await warehouse.rollups('cust_a', from, to)).toEqual(expectedRollups);
    expect(await warehouse.eventCount('cust_a')).toBe(5);
    expect(
      await warehouse.eventCount(
        'cust_a',
        new Date('2025-01-21T10:30:59.999Z'),
        new Date('2025-01-21T10:33:30.500Z'),
      ),
    ).toBe(2);
  });

  it('returns only minutes starting inside [from, to)', async () => {
    const minutes = await warehouse.rollups(
      'cust_a',
      new Date('2025-01-21T10:30:00.001Z'),
      new Date('2025-01-21T10:33:00.000Z'),
    );
    expect(minutes.map((m) => m.minute)).toEqual(['2025-01-21T10:31:00.000Z']);
  });

  it('changes no count when the same batch is written twice', async () => {
    await warehouse.write(batchOf(traffic));
    await warehouse.write(batchOf([...traffic].reverse()));
    expect(await warehouse.rollups('cust_a', from, to)).toEqual(expectedRollups);
    expect(await warehouse.eventCount('cust_a')).toBe(5);
  });

  it('counts a resend with another received_at and timestamp once, in its first minute', async () => {
    const first = makeEvent({
      customer_id: 'cust_resend',
      event_id: 'r1',
      timestamp: '2025-01-21T11:59:59.990Z',
    });
    await warehouse.write(batchOf([first]));
    // The resend's skew correction lands it 20 ms later, in the next minute (and day-hour).
    const resend = {
      ...first,
      timestamp: '2025-01-21T12:00:00.010Z',
      sent_at: '2025-01-21T12:00:05.000Z',
      received_at: '2025-01-21T12:00:05.030Z',
    };
    await warehouse.write(batchOf([resend, resend]));
    const minutes = await warehouse.rollups('cust_resend', from, to);
    expect(minutes).toEqual([
      {
        minute: '2025-01-21T11:59:00.000Z',
        events: { 'page_view:page_view': 1 },
        visitors: 1,
        sessions: 0,
        pages: {},
      },
    ]);
    expect(await warehouse.eventCount('cust_resend')).toBe(1);
    const stored = await warehouse.query<{ n: number; t: string }>(
      `SELECT toUInt32(count()) AS n, any(toString(timestamp)) AS t FROM pulse.events FINAL
        WHERE customer_id = {c:String}`,
      { c: 'cust_resend' },
    );
    expect(stored).toEqual([{ n: 1, t: '2025-01-21 11:59:59.990' }]);
  });

  it('keeps two customers with the same event and visitor ids apart', async () => {
    const shared = traffic.map((event) => ({ ...event, customer_id: 'cust_b' }));
    await warehouse.write(batchOf(shared.slice(0, 2)));
    expect(await warehouse.eventCount('cust_b')).toBe(2);
    expect(await warehouse.eventCount('cust_a')).toBe(5);
    expect(await warehouse.rollups('cust_b', from, to)).toEqual([
      {
        minute: '2025-01-21T10:30:00.000Z',
        events: { 'page_view:/pricing': 2 },
        visitors: 1,
        sessions: 1,
        pages: { '/pricing': 2 },
      },
    ]);
    expect(await warehouse.rollups('cust_a', from, to)).toEqual(expectedRollups);
  });

  it('stores identity links and segment changes once each, in their order', async () => {
    const links = [
      {
        customer_id: 'cust_a',
        source_id: 'v2',
        user_id: 'u1',
        at: '2025-01-21T10:31:00.001Z',
        event_id: 'e9',
      },
      {
        customer_id: 'cust_a',
        source_id: 'v1',
        user_id: 'u1',
        at: '2025-01-21T10:31:00.001Z',
        event_id: 'e9',
      },
      {
        customer_id: 'cust_a',
        source_id: 'v0',
        user_id: 'u0',
        at: '2025-01-21T09:00:00.000Z',
        event_id: 'e8',
      },
    ];
    const changes = [
      {
        customer_id: 'cust_a',
        segment_id: 'fans',
        id: 'u1',
        change: 'exit' as const,
        at: '2025-01-28T10:31:00.000Z',
        reason: 'window' as const,
      },
      {
        customer_id: 'cust_a',
        segment_id: 'fans',
        id: 'v1',
        change: 'exit' as const,
        at: '2025-01-21T10:31:00.001Z',
        reason: 'merged' as const,
      },
      {
        customer_id: 'cust_a',
        segment_id: 'fans',
        id: 'u1',
        change: 'enter' as const,
        at: '2025-01-21T10:31:00.001Z',
        reason: 'rule' as const,
      },
    ];
    const other = { ...links[0]!, customer_id: 'cust_b' };
    await warehouse.write({ events: [], links: [...links, other], changes });
    await warehouse.write({ events: [], links, changes });
    expect(await warehouse.identities('cust_a')).toEqual([links[2], links[1], links[0]]);
    expect(await warehouse.identities('cust_b')).toEqual([other]);
    expect(await warehouse.segmentChanges('cust_a')).toEqual([changes[2], changes[1], changes[0]]);
    expect(await warehouse.segmentChanges('cust_b')).toEqual([]);
  });

  it('rolls up a batch again whose rollup was lost between the two tables', async () => {
    const lost = [
      makeEvent({
        customer_id: 'cust_lost',
        event_id: 'l1',
        timestamp: '2025-01-21T10:40:00.000Z',
      }),
      makeEvent({
        customer_id: 'cust_lost',
        event_id: 'l2',
        timestamp: '2025-01-21T10:40:01.000Z',
      }),
    ];
    // A crash after the events part and before the view's: simulated by detaching the view.
    const admin = openChdbClient(path);
    try {
      await admin.command({ query: 'DETACH TABLE pulse.rollup_minute_mv' });
      await warehouse.write(batchOf(lost));
    } finally {
      await admin.command({ query: 'ATTACH TABLE pulse.rollup_minute_mv' });
      await admin.close();
    }
    expect(await warehouse.rollups('cust_lost', from, to)).toEqual([]);
    await warehouse.write(batchOf(lost));
    await warehouse.write(batchOf(lost));
    expect(await warehouse.rollups('cust_lost', from, to)).toEqual([
      {
        minute: '2025-01-21T10:40:00.000Z',
        events: { 'page_view:page_view': 2 },
        visitors: 1,
        sessions: 0,
        pages: {},
      },
    ]);
    expect(await warehouse.eventCount('cust_lost')).toBe(2);
  });

  it('stores a history import spanning more days than one insert may touch partitions', async () => {
    // ClickHouse refuses an INSERT touching more than 100 partitions (days): a Segment
    // history replayed in one batch used to fail on every retry and block the stream.
    const customer = 'cust_history';
    const day = 86_400_000;
    const start = Date.UTC(2024, 0, 1, 12);
    const history = Array.from({ length: 400 }, (_, i) =>
      makeEvent({
        customer_id: customer,
        event_id: `h${i}`,
        timestamp: new Date(start + i * day).toISOString(),
      }),
    );
    await warehouse.write(batchOf(history));
    await warehouse.write(batchOf(history.slice(0, 101)));
    expect(await warehouse.eventCount(customer)).toBe(400);
    const end = new Date(start + 400 * day);
    const minutes = await warehouse.rollups(customer, new Date(start - day), end);
    expect(minutes).toHaveLength(400);
    expect(minutes.every((minute) => minute.visitors === 1)).toBe(true);
  });

  it('still holds everything after closing and reopening its directory', async () => {
    await warehouse.close();
    warehouse = await createWarehouse({ path, ttl: false });
    expect(await warehouse.rollups('cust_a', from, to)).toEqual(expectedRollups);
    expect(await warehouse.eventCount('cust_a')).toBe(5);
    expect(await warehouse.identities('cust_a')).toHaveLength(3);
  });

  it('refuses an event whose time is not a time, with a structured error', async () => {
    const bad = makeEvent({ event_id: 'bad', timestamp: 'yesterday' });
    await expect(warehouse.write(batchOf([bad]))).rejects.toMatchObject({
      name: 'WarehouseError',
      code: 'invalid_row',
      message: expect.stringContaining('timestamp'),
    });
    expect(await warehouse.eventCount('cust_a')).toBe(5);
  });
});
