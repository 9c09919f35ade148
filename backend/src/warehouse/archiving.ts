import type { ClickHouseClient } from '@clickhouse/client';

/** The views that feed the cold tier (event-archive.ts), with the statements that make them. */
const VIEWS = {
  archive_hours_mv: `CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.archive_hours_mv TO {db}.archive_hours AS
    SELECT customer_id, toStartOfHour(timestamp) AS hour, now64(3, 'UTC') AS marked_at
    FROM {db}.events
    GROUP BY customer_id, hour`,
  archive_old_mv: `CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.archive_old_mv TO {db}.archive_old AS
    SELECT * FROM {db}.events WHERE timestamp < now64(3, 'UTC') - INTERVAL 6 DAY`,
} as const;

/**
 * Creates (or drops) the views that mark the hours to archive and keep old events until they
 * are archived, to match `enabled`; does nothing when they already agree. Kept out of the
 * migrations, like the TTL (retention.ts): a warehouse without an archive (the TTL off, or a
 * ClickHouse server) pays no write for it and keeps nothing that no archiver would consume.
 *
 * Turning the archive on marks every hour the warehouse holds, after the views exist, so an
 * event written meanwhile is marked by one or the other: the first run archives everything.
 */
export async function applyArchiving(
  client: ClickHouseClient,
  database: string,
  enabled: boolean,
): Promise<void> {
  const result = await client.query({
    query: `SELECT name FROM system.tables
      WHERE database = {database:String} AND name IN {views:Array(String)}`,
    query_params: { database, views: Object.keys(VIEWS) },
    format: 'JSONEachRow',
  });
  const present = new Set((await result.json<{ name: string }>()).map((row) => row.name));
  if (!enabled) {
    for (const view of present) {
      await client.command({ query: `DROP VIEW IF EXISTS ${database}.${view}` });
    }
    return;
  }
  if (present.size === Object.keys(VIEWS).length) return;
  for (const statement of Object.values(VIEWS)) {
    await client.command({ query: statement.replaceAll('{db}', database) });
  }
  await client.command({
    query: `INSERT INTO ${database}.archive_hours
      SELECT customer_id, toStartOfHour(timestamp), now64(3, 'UTC') FROM ${database}.events
      GROUP BY customer_id, toStartOfHour(timestamp)`,
  });
}
