import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importHistory } from '../../scripts/import-history';
import { openKey, startEdgeAndBackend } from '../fixtures/edge-and-backend';

const DAY = 86_400_000;
const START = Date.UTC(2025, 0, 1, 9);
const MESSAGES = 3000;

let pipeline: Awaited<ReturnType<typeof startEdgeAndBackend>>;
let dir: string;
let files: string[];

/** A Segment export: 3,000 messages over 101 days in two files, some without messageId. */
function writeExport(): string[] {
  const lines = Array.from({ length: MESSAGES }, (_, i) => {
    const timestamp = new Date(START + (i % 101) * DAY + i * 1000).toISOString();
    const anonymousId = `anon-${i % 37}`;
    if (i % 10 === 0)
      return {
        type: 'identify',
        userId: `user-${i % 37}`,
        anonymousId,
        timestamp,
        messageId: randomUUID(),
      };
    // Pages without messageId: the edge derives one from the content, the same on every run.
    if (i % 3 === 0)
      return {
        type: 'page',
        name: 'Pricing',
        properties: { path: '/pricing', n: i },
        anonymousId,
        timestamp,
      };
    return {
      type: 'track',
      event: 'Order Completed',
      properties: { n: i },
      anonymousId,
      timestamp,
      messageId: randomUUID(),
    };
  }).map((message) => JSON.stringify(message));
  const oversized = JSON.stringify({
    type: 'track',
    event: 'Huge',
    anonymousId: 'anon-1',
    timestamp: new Date(START).toISOString(),
    messageId: randomUUID(),
    properties: { blob: 'x'.repeat(40_000) },
  });
  const first = [...lines.slice(0, 1500), 'not json', oversized, ''].join('\n');
  const second = [...lines.slice(1500), '[1,2,3]'].join('\r\n');
  const paths = [join(dir, 'export-1.ndjson'), join(dir, 'export-2.ndjson')];
  writeFileSync(paths[0] as string, first);
  writeFileSync(paths[1] as string, second);
  return paths;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pulse-import-'));
  files = writeExport();
  pipeline = await startEdgeAndBackend({
    keys: {
      pk_import: openKey('cust_import'),
      // 10 events at once, 1 more per second: the second batch waits about 10 s, far longer
      // than the first takes, so it always meets the limit first.
      pk_tight: { ...openKey('cust_tight'), rate: { per_second: 1, burst: 10 } },
      pk_big: openKey('cust_big'),
    },
  });
});

afterAll(async () => {
  await pipeline?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('importing history from a Segment export', () => {
  it('stores every valid message once, reports the refused ones, and a re-run changes no count', async () => {
    const options = { edge: pipeline.edge.url, key: 'pk_import', maxRetryAfterSeconds: 5 };
    const first = await importHistory(files, options);
    expect(first).toMatchObject({
      lines: MESSAGES + 3,
      malformed: { count: 2, examples: [`${files[0]}:1501`, `${files[1]}:1501`] },
      accepted: MESSAGES,
      rejected: { event_too_large: 1 },
    });
    expect(await pipeline.backend.warehouse.eventCount('cust_import')).toBe(MESSAGES);

    const again = await importHistory(files, options);
    expect(again.accepted).toBe(MESSAGES);
    expect(await pipeline.backend.warehouse.eventCount('cust_import')).toBe(MESSAGES);
    // 101 days of history, each on its own day.
    const days = await pipeline.backend.warehouse.query<{ days: string }>(
      `SELECT toString(uniqExact(toDate(timestamp))) AS days FROM pulse.events FINAL WHERE customer_id = 'cust_import'`,
    );
    expect(days[0]?.days).toBe('101');
  });

  it('waits out the rate limit (429, Retry-After) instead of dropping a batch', async () => {
    const path = join(dir, 'tight.ndjson');
    const lines = Array.from({ length: 20 }, (_, i) =>
      JSON.stringify({
        type: 'track',
        event: 'e',
        anonymousId: 'a',
        messageId: `tight-${i}`,
        timestamp: new Date(START + i).toISOString(),
      }),
    );
    writeFileSync(path, lines.join('\n'));
    const report = await importHistory([path], {
      edge: pipeline.edge.url,
      key: 'pk_tight',
      batchMessages: 10,
    });
    expect(report.accepted).toBe(20);
    expect(report.retries).toBeGreaterThan(0);
    expect(await pipeline.backend.warehouse.eventCount('cust_tight')).toBe(20);
  });

  it('splits a batch the edge finds too large (413) until every part fits', async () => {
    const path = join(dir, 'big.ndjson');
    const lines = Array.from({ length: 40 }, (_, i) =>
      JSON.stringify({
        type: 'track',
        event: 'e',
        anonymousId: 'a',
        messageId: `big-${i}`,
        timestamp: new Date(START + i).toISOString(),
        properties: { blob: 'y'.repeat(30_000) },
      }),
    );
    writeFileSync(path, lines.join('\n'));
    // Told to send 1.2 MB at once, over the edge's 500 KB.
    const report = await importHistory([path], {
      edge: pipeline.edge.url,
      key: 'pk_big',
      batchBytes: 2_000_000,
    });
    expect(report.accepted).toBe(40);
    expect(report.requests).toBeGreaterThan(2);
    expect(await pipeline.backend.warehouse.eventCount('cust_big')).toBe(40);
  });
});
