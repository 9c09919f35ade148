import type { ClickHouseClient } from '@clickhouse/client';

/** How long each table keeps its rows, counted from event time (DESIGN "Storage"). */
export const RETENTION = [
  { table: 'events', ttl: 'toDateTime(timestamp) + toIntervalDay(7)' },
  { table: 'rollup_minute', ttl: 'minute + toIntervalDay(1)' },
] as const;

/**
 * Puts the retention TTLs on (or takes them off) to match `enabled`; does nothing when the
 * tables already agree.
 *
 * Kept out of the migrations on purpose: a warehouse opened with `ttl: false` (tests and
 * demos replaying 2025 data) must never lose a row, even in the moment between opening and
 * a `SYSTEM STOP TTL MERGES`, because chdb starts TTL merges as soon as a table loads. The
 * TTL is a table property, so the choice survives restarts until the next open changes it.
 */
export async function applyRetention(
  client: ClickHouseClient,
  database: string,
  enabled: boolean,
): Promise<void> {
  const result = await client.query({
    query: `SELECT name, create_table_query AS ddl FROM system.tables
      WHERE database = {database:String} AND name IN {tables:Array(String)}`,
    query_params: { database, tables: RETENTION.map((r) => r.table) },
    format: 'JSONEachRow',
  });
  const ddl = new Map(
    (await result.json<{ name: string; ddl: string }>()).map((r) => [r.name, r.ddl]),
  );
  for (const { table, ttl } of RETENTION) {
    const hasTtl = /\bTTL\b/.test(ddl.get(table) ?? '');
    if (enabled && !hasTtl) {
      await client.command({ query: `ALTER TABLE ${database}.${table} MODIFY TTL ${ttl}` });
    } else if (!enabled && hasTtl) {
      await client.command({ query: `ALTER TABLE ${database}.${table} REMOVE TTL` });
    }
  }
}
