import type { ClickHouseClient } from '@clickhouse/client';

/**
 * A profile's rows: events sent by any of its ids (as visitor or user), the identity links
 * from or to them, and their segment changes.
 */
const EVENTS_OF = '(visitor_id IN {ids:Array(String)} OR user_id IN {ids:Array(String)})';
const LINKS_OF = '(source_id IN {ids:Array(String)} OR user_id IN {ids:Array(String)})';
const CHANGES_OF = 'id IN {ids:Array(String)}';

/** Distinct events of a customer sent under any of `ids`. */
export async function countProfileEvents(
  client: ClickHouseClient,
  database: string,
  customerId: string,
  ids: readonly string[],
): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await client.query({
    query: `SELECT uniqExact(event_id) AS n FROM ${database}.events
      WHERE customer_id = {customer:String} AND ${EVENTS_OF}`,
    query_params: { customer: customerId, ids },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ n: string }>();
  return Number(row?.n ?? 0);
}

/** The UTC days (`YYYY-MM-DD`) of a customer's events sent under any of `ids`. */
export async function profileEventDays(
  client: ClickHouseClient,
  database: string,
  customerId: string,
  ids: readonly string[],
): Promise<string[]> {
  if (ids.length === 0) return [];
  const result = await client.query({
    query: `SELECT DISTINCT toString(toDate(timestamp)) AS day FROM ${database}.events
      WHERE customer_id = {customer:String} AND ${EVENTS_OF} ORDER BY day`,
    query_params: { customer: customerId, ids },
    format: 'JSONEachRow',
  });
  return (await result.json<{ day: string }>()).map((row) => row.day);
}

/**
 * Deletes a profile's events, identity links and segment changes (lightweight `DELETE FROM`,
 * which chdb and ClickHouse servers since 23.3 run; the rows disappear from every read at
 * once and from disk at the next merge). `lightweight_deletes_sync = 2` makes each statement
 * return only once the delete is applied, so a read right after it no longer sees the rows.
 *
 * The per-minute rollups are not touched: they are distinct-count states over the whole
 * minute (`uniqExact` keeps 128-bit hashes of ids, not the ids), so the profile's events
 * still count in the dashboards' past minutes until the rollups' 24 h TTL drops them.
 */
export async function deleteProfileRows(
  client: ClickHouseClient,
  database: string,
  customerId: string,
  ids: readonly string[],
): Promise<number> {
  if (ids.length === 0) return 0;
  const events = await countProfileEvents(client, database, customerId, ids);
  for (const [table, condition] of [
    ['events', EVENTS_OF],
    ['identities', LINKS_OF],
    ['segment_changes', CHANGES_OF],
  ] as const) {
    await client.command({
      query: `DELETE FROM ${database}.${table}
        WHERE customer_id = {customer:String} AND ${condition}
        SETTINGS lightweight_deletes_sync = 2`,
      query_params: { customer: customerId, ids },
    });
  }
  return events;
}
