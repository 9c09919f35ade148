import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWarehouse } from '../src/warehouse/create-warehouse';
import { fileStore } from '../src/warehouse/file-store';
import type { Warehouse } from '../src/warehouse/warehouse';
import { makeEvent, tempWarehousePath } from './warehouse-fixtures';

const at = (day: number, hour: number) => new Date(Date.UTC(2026, 10, day, hour)).toISOString();

describe('a day of a customer exported as files', () => {
  let path: string;
  let dir: string;
  let warehouse: Warehouse;
  beforeAll(async () => {
    path = tempWarehousePath();
    dir = mkdtempSync(join(tmpdir(), 'pulse-export-'));
    warehouse = await createWarehouse({ path, ttl: false });
    const day = [
      makeEvent({ event_id: 'e2', timestamp: at(1, 11) }),
      makeEvent({ event_id: 'e1', timestamp: at(1, 10), properties: { plan: "pro's" } }),
      // The day before and after, and another customer on the same day: not in the files.
      makeEvent({
        event_id: 'before',
        timestamp: new Date(Date.UTC(2026, 9, 31, 23)).toISOString(),
      }),
      makeEvent({ event_id: 'after', timestamp: at(2, 0) }),
      makeEvent({ event_id: 'other', customer_id: 'cust_b', timestamp: at(1, 10) }),
    ];
    await warehouse.write({ events: day, links: [], changes: [] });
    // A replayed copy of e1 (a crash between the write and the commit): exported once.
    await warehouse.write({ events: [day[1]!], links: [], changes: [] });
  });
  afterAll(async () => {
    await warehouse?.close();
    rmSync(path, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes Parquet and NDJSON in the customer_id=/dt= layout, each event once, in time order', async () => {
    const result = await warehouse.exportDay('cust_a', '2026-11-01', fileStore(dir), [
      'parquet',
      'ndjson',
    ]);
    expect(result).toEqual({
      day: '2026-11-01',
      rows: 2,
      files: [
        'customer_id=cust_a/dt=2026-11-01/events.parquet',
        'customer_id=cust_a/dt=2026-11-01/events.ndjson',
      ],
    });
    const lines = readFileSync(join(dir, result.files[1]!), 'utf8').trim().split('\n');
    const rows = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rows.map((row) => row.event_id)).toEqual(['e1', 'e2']);
    expect(rows.every((row) => row.customer_id === 'cust_a')).toBe(true);
    expect(JSON.parse(rows[0]!.properties as string)).toEqual({ plan: "pro's" });
    // The Parquet file holds the same events, read back by ClickHouse itself.
    const parquet = await warehouse.query<{ event_id: string }>(
      `SELECT event_id FROM file({file:String}, 'Parquet') ORDER BY event_id`,
      { file: join(dir, result.files[0]!) },
    );
    expect(parquet.map((row) => row.event_id)).toEqual(['e1', 'e2']);
  });

  it('gives the same bytes when run again over the same events', async () => {
    const read = (files: string[]) => files.map((file) => readFileSync(join(dir, file)));
    const first = read(
      (await warehouse.exportDay('cust_a', '2026-11-01', fileStore(dir), ['parquet', 'ndjson']))
        .files,
    );
    const again = read(
      (await warehouse.exportDay('cust_a', '2026-11-01', fileStore(dir), ['parquet', 'ndjson']))
        .files,
    );
    expect(again).toEqual(first);
  });

  it('refuses a day that is not a date, a customer id that is not one, and a relative directory', async () => {
    await expect(
      warehouse.exportDay('cust_a', '2026-02-30', fileStore(dir), ['ndjson']),
    ).rejects.toThrow(/day must be a date/);
    await expect(
      warehouse.exportDay('../cust_a', '2026-11-01', fileStore(dir), ['ndjson']),
    ).rejects.toThrow(/not a customer id/);
    expect(() => fileStore('exports')).toThrow(/an absolute directory or an http/);
  });
});
