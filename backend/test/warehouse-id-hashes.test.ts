import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../src/start-backend';
import { applyMigrations, MIGRATIONS } from '../src/warehouse/migrations';
import { openChdbClient } from '../src/warehouse/open-client';
import { makeEvent, tempWarehousePath } from './warehouse-fixtures';

// Migration 8 stores 64-bit hashes of visitor and session ids beside the rows, and the
// dashboard counts distinct visitors and sessions over them. A warehouse that held events
// before the step must give the same counts after it, with resends of its events and new
// events written since, and a deleted profile's events gone from the counts.

const HOUR = 3_600_000;
const NOW = Date.now();
/** An hour ago: inside the 7-day TTL, and away from the day boundary of `NOW` by chance only. */
const AT = NOW - HOUR;
const iso = (ms: number) => new Date(ms).toISOString();

/** Rows of the old schema: 4 events of 3 visitors (v3 has no session) in 3 sessions. */
const OLD_ROWS = [
  { event_id: 'o1', visitor_id: 'v1', session_id: 's1', ms: AT },
  { event_id: 'o2', visitor_id: 'v1', session_id: 's1', ms: AT + 1_000 },
  { event_id: 'o3', visitor_id: 'v2', session_id: 's2', ms: AT + 2_000 },
  { event_id: 'o4', visitor_id: 'v3', session_id: null, ms: AT + 3_000 },
];

let dir: string;
let backend: Backend;

beforeAll(async () => {
  dir = tempWarehousePath();
  const old = openChdbClient(join(dir, 'warehouse'));
  await applyMigrations(
    old,
    'pulse',
    MIGRATIONS.filter((m) => m.version < 8),
  );
  for (const row of OLD_ROWS) {
    await old.command({
      query: `INSERT INTO pulse.events (customer_id, event_id, visitor_id, session_id, event_type,
          event_name, properties, context, page, referrer, country, browser, device, timestamp,
          original_timestamp, sent_at, received_at)
        SELECT 'cust_a', {id:String}, {visitor:String}, {session:Nullable(String)}, 'page_view',
          'page_view', '{}', '{}', '/old', '', 'DE', '', '', t, t, t, t
        FROM (SELECT fromUnixTimestamp64Milli({ms:Int64}, 'UTC') AS t)`,
      query_params: {
        id: row.event_id,
        visitor: row.visitor_id,
        session: row.session_id,
        ms: row.ms,
      },
    });
  }
  await old.close();
  backend = await startBackend({
    dataDir: dir,
    port: 0,
    ingestSecret: 'x',
    tickMs: 0,
    apiKeys: { sk_a: 'cust_a' },
    archive: null,
  });
});

afterAll(async () => {
  await backend?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function counts() {
  const res = await fetch(`${backend.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk_a' },
    body: JSON.stringify({
      query: `query ($from: DateTime!, $to: DateTime!) {
        summary(from: $from, to: $to) { events uniqueVisitors sessions }
        timeseries(from: $from, to: $to, bucket: DAY) { count uniqueVisitors sessions }
        topPages(from: $from, to: $to) { page count uniqueVisitors }
        breakdown(from: $from, to: $to, dimension: ENTRY_PAGE) { value count uniqueVisitors }
      }`,
      variables: { from: iso(AT - HOUR), to: iso(NOW + HOUR) },
    }),
  });
  const body = (await res.json()) as { data: Record<string, unknown>; errors?: unknown };
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  return body.data;
}

describe('distinct counts over stored id hashes', () => {
  it('migrates a warehouse with events, hashing the rows it already held', async () => {
    expect(backend.warehouse.schemaVersion).toBe(9);
    const [row] = await backend.warehouse.query<{ rows: number | string; wrong: number | string }>(
      `SELECT count() AS rows,
          countIf(visitor_hash != cityHash64(visitor_id)
            OR NOT (session_hash <=> cityHash64(session_id))) AS wrong
        FROM pulse.events`,
    );
    expect([Number(row?.rows), Number(row?.wrong)]).toEqual([4, 0]);
    expect(await counts()).toEqual({
      summary: { events: 4, uniqueVisitors: 3, sessions: 2 },
      timeseries: [{ count: 4, uniqueVisitors: 3, sessions: 2 }],
      topPages: [{ page: '/old', count: 4, uniqueVisitors: 3 }],
      breakdown: [{ value: '/old', count: 2, uniqueVisitors: 2 }],
    });
  });

  it('counts a resend of an old event once and new events of old visitors as the same visitors', async () => {
    await backend.processor.process([
      // A resend of o3 (stored at its first time, so in its partition) and a new event of v1
      // in a new session, both in new parts beside the migrated one.
      makeEvent({ event_id: 'o3', visitor_id: 'v2', session_id: 's2', timestamp: iso(AT + 2_500) }),
      makeEvent({ event_id: 'n1', visitor_id: 'v1', session_id: 's4', timestamp: iso(AT + 4_000) }),
    ]);
    const { summary } = await counts();
    expect(summary).toEqual({ events: 5, uniqueVisitors: 3, sessions: 3 });
  });

  it("leaves a deleted profile's visitors and sessions out", async () => {
    await backend.warehouse.deleteProfile('cust_a', ['v1']);
    const { summary } = await counts();
    expect(summary).toEqual({ events: 2, uniqueVisitors: 2, sessions: 1 });
  });
});
