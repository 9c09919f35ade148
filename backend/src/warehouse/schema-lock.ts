import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { WarehouseError } from './warehouse-error';

/**
 * How long a holder may go without a heartbeat before another process takes the lock over,
 * how often the holder beats, how often a waiter looks, and how long it waits in all.
 */
export interface SchemaLockTiming {
  leaseMs: number;
  heartbeatMs: number;
  pollMs: number;
  maxWaitMs: number;
}

export const SCHEMA_LOCK_TIMING: SchemaLockTiming = {
  leaseMs: 120_000,
  heartbeatMs: 10_000,
  pollMs: 1_000,
  maxWaitMs: 3_600_000,
};

/** What a step that must not run twice at once is handed: `check` throws once the lock is lost. */
export interface SchemaLock {
  owner: string;
  check(): Promise<void>;
}

/** ClickHouse's codes for a table that is there already, and for one that is not. */
const TABLE_ALREADY_EXISTS = '57';
const UNKNOWN_TABLE = '60';
const hasCode = (error: unknown, code: string): boolean =>
  (error as { code?: unknown })?.code === code;

/**
 * Runs `fn` while this process holds the warehouse's schema lock, so several processes that
 * open one ClickHouse server's warehouse at once apply a migration one at a time (a second
 * rebuild of `events` would drop the first's half-made copy, or exchange the tables back).
 *
 * The lock is the table `{database}.schema_lock`: CREATE TABLE without IF NOT EXISTS succeeds
 * for one creator only. Its holder adds a row (a heartbeat) every `heartbeatMs`, in the
 * server's time, so clocks of the processes do not matter. A holder that died leaves the table:
 * once it has gone `leaseMs` without a heartbeat, a waiter renames it away (a RENAME succeeds
 * for one) and tries again. A step about to do what cannot be undone calls `check()` first,
 * which fails if the lock was taken over meanwhile.
 */
export async function withSchemaLock<T>(
  client: ClickHouseClient,
  database: string,
  fn: (lock: SchemaLock) => Promise<T>,
  timing: SchemaLockTiming = SCHEMA_LOCK_TIMING,
): Promise<T> {
  const table = `${database}.schema_lock`;
  const owner = randomUUID();
  const beat = () =>
    client.insert({ table, values: [{ owner }], format: 'JSONEachRow' }).catch(() => {
      // A beat that fails is missed; `check` tells the step whether the lock still holds.
    });
  await acquire(client, database, owner, timing);
  const timer = setInterval(() => void beat(), timing.heartbeatMs);
  timer.unref();
  const lock: SchemaLock = {
    owner,
    check: async () => {
      const holder = await holderOf(client, database).catch(() => undefined);
      if (holder?.owner !== owner) {
        throw new WarehouseError(
          'unavailable',
          `lost the schema lock ${table} (it went ${timing.leaseMs} ms without a heartbeat and ` +
            'another process took it over); nothing irreversible was done, open the warehouse again',
        );
      }
    },
  };
  try {
    return await fn(lock);
  } finally {
    clearInterval(timer);
    if ((await holderOf(client, database).catch(() => undefined))?.owner === owner) {
      await client.command({ query: `DROP TABLE IF EXISTS ${table}` });
    }
  }
}

interface Holder {
  owner: string;
  /** Milliseconds since its last heartbeat (or since the table was made, before the first). */
  idleMs: number;
}

/** Who holds the lock (the first row's owner), or undefined when the table is not there. */
async function holderOf(client: ClickHouseClient, database: string): Promise<Holder | undefined> {
  try {
    const result = await client.query({
      query: `SELECT
          argMin(owner, at) AS owner,
          toUnixTimestamp64Milli(now64(3)) - greatest(
            toUnixTimestamp64Milli(max(at)),
            (SELECT toInt64(toUnixTimestamp(metadata_modification_time)) * 1000 FROM system.tables
              WHERE database = {database:String} AND name = 'schema_lock')) AS idle
        FROM ${database}.schema_lock`,
      query_params: { database },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ owner: string; idle: string | number }>();
    return row ? { owner: row.owner, idleMs: Number(row.idle) } : undefined;
  } catch (error) {
    if (hasCode(error, UNKNOWN_TABLE)) return undefined;
    throw error;
  }
}

async function acquire(
  client: ClickHouseClient,
  database: string,
  owner: string,
  timing: SchemaLockTiming,
): Promise<void> {
  const table = `${database}.schema_lock`;
  const deadline = Date.now() + timing.maxWaitMs;
  for (;;) {
    try {
      await client.command({
        query: `CREATE TABLE ${table} (owner String, at DateTime64(3, 'UTC') DEFAULT now64(3))
          ENGINE = MergeTree ORDER BY at`,
      });
      await client.insert({ table, values: [{ owner }], format: 'JSONEachRow' });
      return;
    } catch (error) {
      if (!hasCode(error, TABLE_ALREADY_EXISTS)) throw error;
    }
    const holder = await holderOf(client, database);
    if (holder && holder.idleMs > timing.leaseMs) {
      const stale = `${database}.schema_lock_stale_${owner.replaceAll('-', '')}`;
      try {
        await client.command({ query: `RENAME TABLE ${table} TO ${stale}` });
        await client.command({ query: `DROP TABLE IF EXISTS ${stale}` });
      } catch (error) {
        if (!hasCode(error, UNKNOWN_TABLE)) throw error; // another waiter took it over first
      }
      continue;
    }
    if (Date.now() >= deadline) {
      throw new WarehouseError(
        'unavailable',
        `waited ${timing.maxWaitMs} ms for the schema lock ${table}, held by ${holder?.owner} ` +
          `(last heartbeat ${holder?.idleMs} ms ago): another process is migrating this warehouse`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, timing.pollMs));
  }
}
