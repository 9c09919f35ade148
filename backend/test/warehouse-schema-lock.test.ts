import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openChdbClient } from '../src/warehouse/open-client';
import { withSchemaLock, type SchemaLockTiming } from '../src/warehouse/schema-lock';
import { tempWarehousePath } from './warehouse-fixtures';

// Processes that open one ClickHouse server's warehouse at once take turns at its migrations:
// the lock is a table one of them creates, kept alive by heartbeats, taken over once they stop.
// chdb runs in this process, so the "processes" here are concurrent calls on one client.

let dir: string;
let client: ClickHouseClient;

beforeAll(async () => {
  dir = tempWarehousePath();
  client = openChdbClient(join(dir, 'warehouse'));
  for (const database of ['turns', 'dead', 'lost', 'bounded', 'alive']) {
    await client.command({ query: `CREATE DATABASE ${database}` });
  }
});

afterAll(async () => {
  await client?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A lease no test outlives: a holder keeps the lock as long as it runs. */
const LONG: SchemaLockTiming = {
  leaseMs: 600_000,
  heartbeatMs: 60_000,
  pollMs: 20,
  maxWaitMs: 60_000,
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const lockTables = async (database: string): Promise<string[]> =>
  (
    await (
      await client.query({
        query: `SELECT name FROM system.tables WHERE database = {d:String} ORDER BY name`,
        query_params: { d: database },
        format: 'JSONEachRow',
      })
    ).json<{ name: string }>()
  ).map((row) => row.name);

/** A lock left by a process that died: the table and one heartbeat, none after. */
async function deadHolder(database: string): Promise<void> {
  await client.command({
    query: `CREATE TABLE ${database}.schema_lock (owner String, at DateTime64(3, 'UTC')
      DEFAULT now64(3)) ENGINE = MergeTree ORDER BY at`,
  });
  await client.insert({
    table: `${database}.schema_lock`,
    values: [{ owner: 'dead' }],
    format: 'JSONEachRow',
  });
}

describe('the schema lock', () => {
  it('lets one holder in at a time and is gone once the last one is done', async () => {
    const log: string[] = [];
    const turn = (name: string) => async () => {
      log.push(`${name} in`);
      await sleep(300);
      log.push(`${name} out`);
      return name;
    };
    const done = await Promise.all([
      withSchemaLock(client, 'turns', turn('a'), LONG),
      withSchemaLock(client, 'turns', turn('b'), LONG),
    ]);
    expect(done).toEqual(['a', 'b']);
    expect(log).toEqual(['a in', 'a out', 'b in', 'b out']);
    expect(await lockTables('turns')).toEqual([]);
  });

  it('is taken over from a holder that stopped beating, after the lease', async () => {
    await deadHolder('dead');
    const timing = { ...LONG, leaseMs: 200 };
    expect(await withSchemaLock(client, 'dead', async (lock) => lock.owner, timing)).toMatch(
      /^[0-9a-f-]{36}$/,
    );
    expect(await lockTables('dead')).toEqual([]);
  });

  it("tells a holder whose lock was taken over, and leaves the new holder's lock alone", async () => {
    let taken!: () => void;
    const takenOver = new Promise<void>((resolve) => (taken = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    // The first holder never beats (its heartbeat is a minute away) and its lease is 200 ms.
    const first = withSchemaLock(
      client,
      'lost',
      async (lock) => {
        await takenOver;
        const checked = await lock.check().then(
          () => 'still held',
          (error: Error) => error.message,
        );
        release();
        return checked;
      },
      { ...LONG, leaseMs: 200 },
    );
    await sleep(50);
    const second = withSchemaLock(
      client,
      'lost',
      async () => {
        taken();
        await released;
        return lockTables('lost');
      },
      { ...LONG, leaseMs: 200 },
    );
    expect(await first).toMatch(/^lost the schema lock lost\.schema_lock/);
    expect(await second).toEqual(['schema_lock']);
    expect(await lockTables('lost')).toEqual([]);
  });

  it('waits a bounded time for a live holder, then says who holds it', async () => {
    let release!: () => void;
    const holding = new Promise<void>((resolve) => (release = resolve));
    let held!: () => void;
    const isHeld = new Promise<void>((resolve) => (held = resolve));
    const holder = withSchemaLock(
      client,
      'bounded',
      async () => {
        held();
        await holding;
      },
      LONG,
    );
    await isHeld;
    await expect(
      withSchemaLock(client, 'bounded', async () => 'in', { ...LONG, maxWaitMs: 200 }),
    ).rejects.toThrow(
      /waited 200 ms for the schema lock bounded\.schema_lock, held by [0-9a-f-]{36}/,
    );
    release();
    await holder;
  });

  it("keeps a live holder's lock past its lease with heartbeats", async () => {
    // Lease 3 s, a beat every 100 ms, held for 4 s: without the beats the waiter would take
    // the lock over after 3 s and run while the holder still does.
    const timing = { ...LONG, leaseMs: 3_000, heartbeatMs: 100 };
    const log: string[] = [];
    let held!: () => void;
    const isHeld = new Promise<void>((resolve) => (held = resolve));
    const holder = withSchemaLock(
      client,
      'alive',
      async () => {
        held();
        await sleep(4_000);
        log.push('holder done');
      },
      timing,
    );
    await isHeld;
    await withSchemaLock(client, 'alive', async () => log.push('waiter in'), timing);
    await holder;
    expect(log).toEqual(['holder done', 'waiter in']);
  });
});
