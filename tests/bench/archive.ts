import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { archivedEventsOf } from '../../backend/src/warehouse/event-archive';
import { createWarehouse } from '../../backend/src/warehouse/create-warehouse';
import { fileStore, type FileStore } from '../../backend/src/warehouse/file-store';
import { openChdbClient } from '../../backend/src/warehouse/open-client';
import { s3Unavailable, startS3 } from '../services/seaweedfs';
import { percentile, printTable } from './table';

const CUSTOMER = 'cust_cold';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Events spread over the `DAYS` days before the warm tier's line (all of them archivable). */
const EVENTS = Number(process.env.PULSE_BENCH_ARCHIVE_EVENTS ?? 1_000_000);
const DAYS = Number(process.env.PULSE_BENCH_ARCHIVE_DAYS ?? 90);
const VISITORS = 50_000;
const RUNS = 10;

/** Generates the history in one INSERT … SELECT through a second client on the same chdb. */
async function generate(path: string, end: number): Promise<void> {
  const client = openChdbClient(path);
  try {
    await client.command({
      query: `INSERT INTO pulse.events
        SELECT '${CUSTOMER}', concat('e', toString(number)),
          concat('v', toString(cityHash64(number, 1) % ${VISITORS})), NULL,
          concat('s', toString(cityHash64(number, 1) % ${VISITORS})),
          ['page_view', 'page_view', 'click', 'custom'][number % 4 + 1] AS type, type, NULL,
          '{}', '{}', ['/', '/pricing', '/docs'][cityHash64(number, 2) % 3 + 1], '', 'DE', 'Chrome',
          'desktop',
          fromUnixTimestamp64Milli(toInt64(${end} - cityHash64(number, 3) % ${DAYS * DAY}), 'UTC') AS ts,
          ts, ts, ts
        FROM numbers(${EVENTS})`,
    });
  } finally {
    await client.close();
  }
}

/** The 90-day question a dashboard asks (`DAYS` days): distinct events and visitors per day. */
const perDay = (source: string) => `
  SELECT toStartOfDay(timestamp) AS day, uniqExact(event_id) AS events,
    uniqExact(visitor_id) AS visitors
  FROM ${source}
  WHERE customer_id = {customer:String}
    AND timestamp >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')
    AND timestamp < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
  GROUP BY day ORDER BY day`;

interface StoreFigures {
  archiveSeconds: number;
  eventsPerSecond: number;
  files: number;
  filesPerSecond: number;
  archiveP50: number;
  archiveMax: number;
  warmP50: number;
  warmMax: number;
}

/** Archives the history into `store` and times the 90-day query on each tier. */
async function measure(store: FileStore, label: string): Promise<StoreFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-bench-archive-'));
  const path = join(dir, 'warehouse');
  // The TTL off: the warm tier keeps the same 90 days, to ask it the same question.
  const warehouse = await createWarehouse({ path, ttl: false, archive: store });
  try {
    const now = Date.now();
    const end = Math.floor(now / DAY) * DAY - 7 * DAY;
    let t = performance.now();
    await generate(path, end);
    console.log(`${label}: generated in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const started = performance.now();
    const run = await warehouse.archive(now, { watermarkLagMs: 0 });
    const archiveSeconds = (performance.now() - started) / 1000;
    console.log(`${label}: ${run.hours} hour files in ${archiveSeconds.toFixed(1)} s`);
    t = performance.now();
    const params = { customer: CUSTOMER, from: end - DAYS * DAY, to: end };
    const time = async (source: string) => {
      const times: number[] = [];
      let answer = '';
      for (let i = 0; i <= RUNS; i++) {
        const t = performance.now();
        const rows = await warehouse.query(perDay(source), params);
        if (i > 0) times.push(performance.now() - t);
        answer = JSON.stringify(rows);
      }
      return { times, answer };
    };
    const warm = await time('pulse.events FINAL');
    const cold = await time(
      archivedEventsOf(store, CUSTOMER, { from: params.from, to: params.to }),
    );
    console.log(`${label}: queries in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    if (cold.answer !== warm.answer) {
      throw new Error(`${label}: the archive and the warm tier answer the 90-day query apart`);
    }
    return {
      archiveSeconds,
      eventsPerSecond: Math.round(EVENTS / archiveSeconds),
      files: run.hours,
      filesPerSecond: Math.round(run.hours / archiveSeconds),
      archiveP50: Math.round(percentile(cold.times, 50)),
      archiveMax: Math.round(Math.max(...cold.times)),
      warmP50: Math.round(percentile(warm.times, 50)),
      warmMax: Math.round(Math.max(...warm.times)),
    };
  } finally {
    await warehouse.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The cold tier (issue 13): how fast the archiver writes 90 days of history as hourly Parquet
 * files, and how long the dashboard's 90-day question (distinct events and visitors per day)
 * takes over those files beside the same question on the warm tier, in the same run, over a
 * directory and (when SeaweedFS is built here) over a bucket of a real S3-compatible server.
 * The two tiers' answers are checked equal.
 */
export async function benchArchive(): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = { events: EVENTS, days: DAYS };
  const rows: Array<Array<string | number>> = [
    [
      'store',
      'archive s',
      'events/s',
      'files',
      'files/s',
      `${DAYS} d on archive p50 ms`,
      'max',
      'same on warm tier p50 ms',
      'max',
    ],
  ];
  const add = (label: string, f: StoreFigures) => {
    results[label] = f;
    rows.push([
      label,
      f.archiveSeconds.toFixed(1),
      f.eventsPerSecond,
      f.files,
      f.filesPerSecond,
      f.archiveP50,
      f.archiveMax,
      f.warmP50,
      f.warmMax,
    ]);
  };
  const dir = mkdtempSync(join(tmpdir(), 'pulse-bench-archive-files-'));
  try {
    add('directory', await measure(fileStore(dir), 'directory'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const why = s3Unavailable();
  if (why) console.log(`(no bucket figures: ${why})`);
  else {
    const s3 = await startS3();
    try {
      add(
        'bucket (SeaweedFS)',
        await measure(fileStore(`${s3.endpoint}/pulse-bench/archive`, s3.credentials), 'bucket'),
      );
    } finally {
      await s3.stop();
    }
  }
  printTable(rows);
  console.log(
    `(${EVENTS.toLocaleString('en')} events of one customer over ${DAYS} days, ` +
      `${VISITORS.toLocaleString('en')} visitors; ${RUNS} runs of each query after one to warm up)`,
  );
  return results;
}
