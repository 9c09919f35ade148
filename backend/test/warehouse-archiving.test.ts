import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createWarehouse } from '../src/warehouse/create-warehouse';
import type { Warehouse } from '../src/warehouse/warehouse';
import { makeEvent, tempWarehousePath } from './warehouse-fixtures';
import { fileStore } from '../src/warehouse/file-store';

// The views that feed the cold tier exist only while the warehouse has an archive: without
// one nothing is copied or marked, and turning it on marks what the warehouse already holds.

const path = tempWarehousePath();
const archiveDir = mkdtempSync(join(tmpdir(), 'pulse-archive-'));
const HOUR = 3_600_000;
const now = Date.now();
const at = (ms: number) => new Date(now - ms).toISOString();

const count = async (warehouse: Warehouse, table: string) =>
  Number((await warehouse.query<{ n: string }>(`SELECT count() AS n FROM pulse.${table}`))[0]!.n);
const views = async (warehouse: Warehouse) =>
  (
    await warehouse.query<{ name: string }>(
      `SELECT name FROM system.tables WHERE database = 'pulse' AND name LIKE 'archive%_mv' ORDER BY name`,
    )
  ).map((row) => row.name);

afterAll(() => {
  rmSync(path, { recursive: true, force: true });
  rmSync(archiveDir, { recursive: true, force: true });
});

describe('archiving on and off', () => {
  it('copies and marks nothing without an archive', async () => {
    const warehouse = await createWarehouse({ path, ttl: false });
    expect(await views(warehouse)).toEqual([]);
    await warehouse.write({
      events: [
        makeEvent({ event_id: 'old', timestamp: at(10 * 24 * HOUR) }),
        makeEvent({ event_id: 'recent', timestamp: at(3 * HOUR) }),
      ],
      links: [],
      changes: [],
    });
    expect(await count(warehouse, 'archive_old')).toBe(0);
    expect(await count(warehouse, 'archive_hours')).toBe(0);
    await warehouse.close();
  });

  it('marks every hour already held when the archive is turned on, and archives them', async () => {
    const warehouse = await createWarehouse({ path, ttl: false, archive: fileStore(archiveDir) });
    expect(await views(warehouse)).toEqual(['archive_hours_mv', 'archive_old_mv']);
    expect(await count(warehouse, 'archive_hours')).toBe(2);
    const run = await warehouse.archive(now, { watermarkLagMs: 0 });
    expect(run.hours).toBe(2);
    // From now on, writes are marked (and old events kept) by the views.
    await warehouse.write({
      events: [makeEvent({ event_id: 'older', timestamp: at(20 * 24 * HOUR) })],
      links: [],
      changes: [],
    });
    expect(await count(warehouse, 'archive_old')).toBe(1);
    expect(await count(warehouse, 'archive_hours')).toBe(1);
    await warehouse.close();
  });

  it('drops the views when the archive is turned off again', async () => {
    const warehouse = await createWarehouse({ path, ttl: false });
    expect(await views(warehouse)).toEqual([]);
    await warehouse.close();
  });
});
