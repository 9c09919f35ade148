import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PulseEvent } from '@pulse/contract';
import { missingService } from '../../tests/services/free-port';
import { s3Unavailable, startS3, type S3Server } from '../../tests/services/seaweedfs';
import { ConfigError } from '../src/config/env';
import { readExportDestinations, type ExportDestinations } from '../src/config/export-destinations';
import { runExports } from '../src/ops/export-job';
import { startBackend, type Backend } from '../src/start-backend';
import { fileStore, storeTable, type FileStore } from '../src/warehouse/file-store';
import { makeEvent, tempWarehousePath } from './warehouse-fixtures';

// The export path on schedule: each customer's closed days go to its own bucket of a real
// S3-compatible server (SeaweedFS), in the layout Snowflake's COPY INTO and BigQuery's load
// jobs read, once, and again only when events of the day arrive later.
const why = s3Unavailable();
const skip = why ? missingService('SeaweedFS', why) === 'skip' : false;

const DAY = 86_400_000;
const TODAY = Math.floor(Date.now() / DAY) * DAY;
/** The clock of the runs: noon today, whatever the hour the test runs at. */
const NOON = TODAY + 12 * 3_600_000;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const YESTERDAY = dayOf(TODAY - DAY);
const THREE_DAYS_AGO = dayOf(TODAY - 3 * DAY);

const event = (id: string, at: number, fields: Partial<PulseEvent> = {}) =>
  makeEvent({
    event_id: id,
    timestamp: new Date(at).toISOString(),
    received_at: new Date(at + 60_000).toISOString(),
    ...fields,
  });

const EVENTS = [
  event('a-y2', TODAY - DAY + 15 * 3_600_000),
  event('a-y1', TODAY - DAY + 9 * 3_600_000, { properties: { plan: 'pro' } }),
  event('a-3d', TODAY - 3 * DAY + 10 * 3_600_000),
  // Today has not ended: not due.
  event('a-today', TODAY + 3_600_000),
  event('b-y', TODAY - DAY + 10 * 3_600_000, { customer_id: 'cust_b' }),
  // cust_c has no destination: nothing of it is exported.
  event('c-y', TODAY - DAY + 10 * 3_600_000, { customer_id: 'cust_c' }),
  // cust_d's store refuses: its day stays due, run after run.
  event('d-y', TODAY - DAY + 10 * 3_600_000, { customer_id: 'cust_d' }),
];

let s3: S3Server | undefined;
let backend: Backend;
let dir: string;
let config: string;
let destinations: ExportDestinations;
let acme: FileStore;
let beta: FileStore;

beforeAll(async () => {
  if (skip) return;
  s3 = await startS3();
  dir = tempWarehousePath();
  config = mkdtempSync(join(tmpdir(), 'pulse-destinations-'));
  const file = join(config, 'destinations.json');
  writeFileSync(
    file,
    JSON.stringify({
      // A store that refuses (nothing listens there): its failure stops no one else.
      cust_d: { url: 'http://127.0.0.1:9/gone', formats: ['ndjson'] },
      cust_a: {
        url: `${s3.endpoint}/acme-analytics/pulse`,
        ...s3.credentials,
        formats: ['parquet', 'ndjson'],
      },
      cust_b: { url: `${s3.endpoint}/beta-exports`, ...s3.credentials, formats: ['ndjson'] },
    }),
  );
  destinations = readExportDestinations(file);
  acme = destinations.get('cust_a')!.to;
  beta = destinations.get('cust_b')!.to;
  backend = await startBackend({
    dataDir: dir,
    port: 0,
    ingestSecret: 'x',
    tickMs: 0,
    archive: null,
    exportDestinations: destinations,
    exportEveryMs: 0,
    apiKeys: { sk_a: 'cust_a', sk_c: 'cust_c' },
  });
  await backend.processor.process(EVENTS);
}, 90_000);

afterAll(async () => {
  await backend?.stop();
  await s3?.stop();
  for (const d of [dir, config]) if (d) rmSync(d, { recursive: true, force: true });
});

const lines = async (store: FileStore, file: string) =>
  (
    await backend.warehouse.query<{ line: string }>(
      `SELECT line FROM ${storeTable(store, file, 'LineAsString')}`,
    )
  ).map(({ line }) => JSON.parse(line) as { event_id: string; customer_id: string });
const keys = async (store: FileStore) =>
  (
    await backend.warehouse.query<{ key: string }>(
      `SELECT DISTINCT replaceRegexpOne(_path, '^.*?/(customer_id=)', '\\\\1') AS key
        FROM ${storeTable(store, 'customer_id=*/*/*', 'RawBLOB')} ORDER BY key`,
    )
  ).map((row) => row.key);
const run = (now: number) =>
  runExports({ warehouse: backend.warehouse, destinations, metrics: backend.metrics }, now);

describe.skipIf(skip)('scheduled exports to each customer’s bucket', () => {
  it('writes every closed day of the warm tier to its customer’s bucket, in its formats', async () => {
    const first = await run(NOON);
    expect(first.cust_a?.map((d) => [d.day, d.rows])).toEqual([
      [THREE_DAYS_AGO, 1],
      [YESTERDAY, 2],
    ]);
    expect(first.cust_b?.map((d) => [d.day, d.rows, d.files])).toEqual([
      [YESTERDAY, 1, [`customer_id=cust_b/dt=${YESTERDAY}/events.ndjson`]],
    ]);
    expect(first.cust_c).toBeUndefined();
    expect(first.cust_d).toBeUndefined();
    expect(await keys(acme)).toEqual(
      [THREE_DAYS_AGO, YESTERDAY].flatMap((day) => [
        `customer_id=cust_a/dt=${day}/events.ndjson`,
        `customer_id=cust_a/dt=${day}/events.parquet`,
      ]),
    );
    expect(await keys(beta)).toEqual([`customer_id=cust_b/dt=${YESTERDAY}/events.ndjson`]);
    expect(
      (await lines(acme, `customer_id=cust_a/dt=${YESTERDAY}/events.ndjson`)).map(
        (row) => row.event_id,
      ),
    ).toEqual(['a-y1', 'a-y2']);
    const parquet = await backend.warehouse.query<{ event_id: string }>(
      `SELECT event_id FROM ${storeTable(acme, `customer_id=cust_a/dt=${YESTERDAY}/events.parquet`, 'Parquet')}`,
    );
    expect(parquet.map((row) => row.event_id)).toEqual(['a-y1', 'a-y2']);
  });

  it('writes nothing again until an event of an exported day arrives, then that day alone', async () => {
    const again = await run(NOON + 60_000);
    expect(again).toEqual({});
    // A late event of yesterday, received after the export.
    await backend.processor.process([
      event('a-late', TODAY - DAY + 20 * 3_600_000, {
        received_at: new Date(NOON + 120_000).toISOString(),
      }),
    ]);
    const late = await run(NOON + 180_000);
    expect(Object.keys(late)).toEqual(['cust_a']);
    expect(late.cust_a?.map((d) => [d.day, d.rows])).toEqual([[YESTERDAY, 3]]);
    expect(
      (await lines(acme, `customer_id=cust_a/dt=${YESTERDAY}/events.ndjson`)).map(
        (row) => row.event_id,
      ),
    ).toEqual(['a-y1', 'a-y2', 'a-late']);
  });

  it('counts the days written and the failing destination in the metrics', async () => {
    const text = await backend.metrics.registry.metrics();
    const samples = text.split('\n').filter((line) => line.startsWith('pulse_exported_'));
    expect(samples.sort()).toEqual([
      'pulse_exported_days_total{customer="cust_a",outcome="ok"} 3',
      'pulse_exported_days_total{customer="cust_b",outcome="ok"} 1',
      // Each of the three runs failed for it, and went on with the others.
      'pulse_exported_days_total{customer="cust_d",outcome="failed"} 3',
      'pulse_exported_events_total{customer="cust_a"} 6',
      'pulse_exported_events_total{customer="cust_b"} 1',
    ]);
  });

  it('POST /v1/exports writes to the customer’s own bucket; a customer without one gets 404', async () => {
    const post = (key: string) =>
      fetch(`${backend.url}/v1/exports`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ day: THREE_DAYS_AGO }),
      });
    const res = await post('sk_a');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      day: THREE_DAYS_AGO,
      rows: 1,
      files: [
        `customer_id=cust_a/dt=${THREE_DAYS_AGO}/events.parquet`,
        `customer_id=cust_a/dt=${THREE_DAYS_AGO}/events.ndjson`,
      ],
    });
    const none = await post('sk_c');
    expect(none.status).toBe(404);
    expect(await none.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it("writes a day again without a deleted profile's events, even when nothing of it is left", async () => {
    // Yesterday's file holds v1's events (a-y1, a-y2, a-late) and v9's; v1 is deleted.
    await backend.processor.process([
      event('a-v9', TODAY - DAY + 11 * 3_600_000, {
        visitor_id: 'v9',
        received_at: new Date(NOON + 200_000).toISOString(),
      }),
    ]);
    expect((await run(NOON + 300_000)).cust_a?.map((d) => [d.day, d.rows])).toEqual([
      [YESTERDAY, 4],
    ]);
    // Three days ago held only v1's event: its file must not keep it either.
    // After every export so far (the POST above ran on the wall clock).
    const erased = Math.max(NOON, Date.now()) + 400_000;
    await backend.warehouse.deleteProfile('cust_a', ['v1'], erased);
    const after = await run(erased + 600_000);
    expect(after.cust_a?.map((d) => [d.day, d.rows])).toEqual([
      [THREE_DAYS_AGO, 0],
      [YESTERDAY, 1],
    ]);
    expect(
      (await lines(acme, `customer_id=cust_a/dt=${YESTERDAY}/events.ndjson`)).map(
        (row) => row.event_id,
      ),
    ).toEqual(['a-v9']);
    expect(await lines(acme, `customer_id=cust_a/dt=${THREE_DAYS_AGO}/events.ndjson`)).toEqual([]);
    const parquet = await backend.warehouse.query<{ n: string }>(
      `SELECT count() AS n FROM ${storeTable(acme, `customer_id=cust_a/dt=${THREE_DAYS_AGO}/events.parquet`, 'Parquet')}`,
    );
    expect(Number(parquet[0]?.n)).toBe(0);
    // Written again once: the next run finds nothing due.
    expect(await run(erased + 900_000)).toEqual({});
  });
});

describe('export destinations', () => {
  let scratch: string;
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'pulse-destinations-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('refuses a file that names a bad customer, store or format, each problem named', () => {
    const file = join(scratch, 'bad.json');
    const read = (json: unknown) => {
      writeFileSync(file, JSON.stringify(json));
      return () => readExportDestinations(file);
    };
    expect(read({ '../x': { dir: '/exports' } })).toThrow(ConfigError);
    expect(read({ '../x': { dir: '/exports' } })).toThrow(/\.\.\/x: not a customer id/);
    expect(read({ cust_a: { dir: 'exports' } })).toThrow(/cust_a.dir: an absolute directory/);
    expect(read({ cust_a: { dir: '/e', formats: ['csv'] } })).toThrow(/cust_a/);
    expect(read({ cust_a: { url: 'http://h/b', accessKeyId: 'k' } })).toThrow(/go together/);
    expect(read({ cust_a: { url: 'http://h/' } })).toThrow(/cust_a: .*host\/bucket/);
    expect(read({ cust_a: { dir: '/e' } })()).toEqual(
      new Map([['cust_a', { to: fileStore('/e'), formats: ['parquet', 'ndjson'] }]]),
    );
  });
});
