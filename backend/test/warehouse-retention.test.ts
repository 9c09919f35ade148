import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { createWarehouse } from '../src/warehouse/create-warehouse';
import { openChdbClient } from '../src/warehouse/open-client';
import type { Warehouse } from '../src/warehouse/warehouse';
import { makeEvent, tempWarehousePath } from './warehouse-fixtures';

const path = tempWarehousePath();
const DAY = 86_400_000;
const now = Date.now();
const ago = (ms: number) => new Date(now - ms).toISOString();

/** Events 8 days, 2 days and 1 minute old: TTL keeps 7 days of events and 1 day of rollups. */
const events = [
  makeEvent({ event_id: 'old', timestamp: ago(8 * DAY) }),
  makeEvent({ event_id: 'yesterday', timestamp: ago(2 * DAY) }),
  makeEvent({ event_id: 'fresh', timestamp: ago(60_000) }),
];

describe('warehouse retention', () => {
  // A second client on the same directory runs what the Warehouse does not offer: OPTIMIZE.
  let admin: ClickHouseClient;
  beforeAll(() => {
    admin = openChdbClient(path);
  });
  afterAll(async () => {
    await admin?.close();
    rmSync(path, { recursive: true, force: true });
  });

  const mergeEverything = async (database: string) => {
    for (const table of ['events', 'rollup_minute']) {
      await admin.command({ query: `OPTIMIZE TABLE ${database}.${table} FINAL` });
    }
  };
  const minutesOf = (warehouse: Warehouse) =>
    warehouse.rollups('cust_a', new Date(now - 30 * DAY), new Date(now + DAY));

  it('keeps every row of old data with ttl: false, through a full merge', async () => {
    const warehouse = await createWarehouse({ path, database: 'kept', ttl: false });
    await warehouse.write({ events, links: [], changes: [] });
    await mergeEverything('kept');
    expect(await warehouse.eventCount('cust_a')).toBe(3);
    expect(await minutesOf(warehouse)).toHaveLength(3);
    await warehouse.close();
  });

  it('drops events after 7 days and rollups after 24 hours of event time', async () => {
    const warehouse = await createWarehouse({ path, database: 'expiring' });
    await warehouse.write({ events, links: [], changes: [] });
    await mergeEverything('expiring');
    const left = await warehouse.query<{ event_id: string }>(
      `SELECT event_id FROM expiring.events ORDER BY event_id`,
    );
    expect(left.map((row) => row.event_id)).toEqual(['fresh', 'yesterday']);
    const minutes = await minutesOf(warehouse);
    expect(minutes.map((m) => m.minute)).toEqual([
      new Date(Math.floor((now - 60_000) / 60_000) * 60_000).toISOString(),
    ]);
    await warehouse.close();
  });

  it('puts the TTL back on tables opened earlier without it', async () => {
    const warehouse = await createWarehouse({ path, database: 'kept' });
    await mergeEverything('kept');
    expect(await warehouse.eventCount('cust_a')).toBe(2);
    expect(await minutesOf(warehouse)).toHaveLength(1);
    await warehouse.close();
  });
});
