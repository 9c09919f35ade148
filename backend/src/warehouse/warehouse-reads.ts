import type { ClickHouseClient } from '@clickhouse/client';
import type { IdentityLink, MinuteRollup, SegmentChange } from '@pulse/contract';
import type { Warehouse } from './warehouse';

type Reads = Pick<Warehouse, 'rollups' | 'eventCount' | 'identities' | 'segmentChanges' | 'query'>;

const iso = (ms: number | string): string => new Date(Number(ms)).toISOString();
const msParam = (date: Date): number => date.getTime();

/**
 * Settings of every read. FINAL folds each partition on its own: the copies of an event share
 * its partition (the day of `timestamp`, which `write` pins to the first copy's), so merging
 * across partitions finds nothing more, and costs 5x on the dashboard's 24-hour panels
 * (`npm run bench dashboard-queries`).
 */
export const READ_SETTINGS = { do_not_merge_across_partitions_select_final: 1 } as const;

/**
 * The warehouse's read side. Every count is of distinct event_ids, read from distinct-count
 * states or with FINAL, so rows not yet merged never count twice.
 */
export function createWarehouseReads(client: ClickHouseClient, database: string): Reads {
  const rows = async <T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> => {
    const result = await client.query({
      query,
      query_params: params,
      format: 'JSONEachRow',
      clickhouse_settings: READ_SETTINGS,
    });
    return result.json<T>();
  };

  return {
    query: rows,

    async rollups(customerId, from, to) {
      // Three groupings of the same minutes; `page` is '' on every row but page views.
      const range = `customer_id = {customer:String}
        AND minute >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')
        AND minute < fromUnixTimestamp64Milli({to:Int64}, 'UTC')`;
      const found = await rows<{
        kind: 'minute' | 'event' | 'page';
        minute: number;
        key: string;
        events: string;
        visitors: string;
        sessions: string;
      }>(
        `SELECT 'minute' AS kind, toUnixTimestamp(minute) AS minute, '' AS key,
            uniqExactMerge(events) AS events, uniqExactMerge(visitors) AS visitors,
            uniqExactMerge(sessions) AS sessions
          FROM ${database}.rollup_minute WHERE ${range} GROUP BY minute
        UNION ALL
        SELECT 'event', toUnixTimestamp(minute), concat(event_type, ':', event_name),
            uniqExactMerge(events), 0, 0
          FROM ${database}.rollup_minute WHERE ${range} GROUP BY minute, event_type, event_name
        UNION ALL
        SELECT 'page', toUnixTimestamp(minute), page, uniqExactMerge(events), 0, 0
          FROM ${database}.rollup_minute WHERE ${range} AND page != '' GROUP BY minute, page`,
        { customer: customerId, from: msParam(from), to: msParam(to) },
      );
      const byMinute = new Map<number, MinuteRollup>();
      const minuteOf = (seconds: number): MinuteRollup => {
        let rollup = byMinute.get(seconds);
        if (!rollup) {
          rollup = { minute: iso(seconds * 1000), events: {}, visitors: 0, sessions: 0, pages: {} };
          byMinute.set(seconds, rollup);
        }
        return rollup;
      };
      for (const row of found) {
        const rollup = minuteOf(Number(row.minute));
        if (row.kind == 'minute') {
          rollup.visitors = Number(row.visitors);
          rollup.sessions = Number(row.sessions);
        } else if (row.kind == 'event') {
          rollup.events[row.key] = Number(row.events);
        } else {
          rollup.pages[row.key] = Number(row.events);
        }
      }
      return [...byMinute.entries()].sort(([a], [b]) => a - b).map(([, rollup]) => rollup);
    },

    async eventCount(customerId, from, to) {
      const range = [
        from ? `AND timestamp >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')` : '',
        to ? `AND timestamp < fromUnixTimestamp64Milli({to:Int64}, 'UTC')` : '',
      ].join(' ');
      const [row] = await rows<{ n: string }>(
        `SELECT uniqExact(event_id) AS n FROM ${database}.events
          WHERE customer_id = {customer:String} ${range}`,
        { customer: customerId, from: from ? msParam(from) : 0, to: to ? msParam(to) : 0 },
      );
      return Number(row?.n ?? 0);
    },

    async identities(customerId) {
      const found = await rows<Omit<IdentityLink, 'at'> & { at_ms: string }>(
        `SELECT customer_id, source_id, user_id, toUnixTimestamp64Milli(at) AS at_ms, event_id
          FROM ${database}.identities FINAL
          WHERE customer_id = {customer:String} ORDER BY at, source_id`,
        { customer: customerId },
      );
      return found.map(({ at_ms, ...link }) => ({ ...link, at: iso(at_ms) }));
    },

    async segmentChanges(customerId) {
      const found = await rows<Omit<SegmentChange, 'at'> & { at_ms: string }>(
        `SELECT customer_id, segment_id, id, change, toUnixTimestamp64Milli(at) AS at_ms, reason
          FROM ${database}.segment_changes FINAL
          WHERE customer_id = {customer:String} ORDER BY at, segment_id, id, change`,
        { customer: customerId },
      );
      return found.map(({ at_ms, ...change }) => ({ ...change, at: iso(at_ms) }));
    },
  };
}
