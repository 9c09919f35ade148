import { describe, expect, it } from 'vitest';
import { historyLine, reportRows, reportTable } from '../bench/report';

/** Figures in the shapes the bench sections write (tests/bench/*.ts). */
const RESULTS = {
  machine: { cpus: 2, node: 'v20.20.2' },
  at: '2026-12-05T12:45:49.000Z',
  'sdk-size': { iife: { min: 15_000, gzip: 6_285, brotli: 5_600 }, budgetGzip: 6_288 },
  'ingest-kafka': {
    none: { eventsPerSecond: 18_931, kafkaLimit: { recordsPerSecond: 27_139 } },
    gzip: { eventsPerSecond: 60_000, kafkaLimit: { recordsPerSecond: 100_000 } },
  },
  edge: {
    jsonLimitEventsPerSecond: 300_000,
    node: { eventsPerSecond: 150_000 },
    nodeHttpSink: { eventsPerSecond: 36_000, eventsPerCpuSecond: 45_000 },
    workerd: { eventsPerSecond: 12_000 },
  },
  'dashboard-queries': {
    events: 10_000_000,
    'top pages, 24 h': { p50: 90, p99: 150, max: 170 },
    'events per hour, 24 h': { p50: 200, p99: 450, max: 500 },
    fillMs: 1_000,
  },
  decide: {
    runs: [
      { concurrency: 1, p99: 9.5 },
      { concurrency: 8, p99: 31.2 },
      { concurrency: 8, cacheMs: 1000, requests: 2000, backendCalls: 400, p99: 18.5 },
    ],
  },
  latency: { error: 'section latency exited with 1' },
  flink: {
    ts: { kafka: { eventsPerSecond: 10_000 } },
    flinkP1: { eventsPerSecond: 12_000 },
    flinkP2: { eventsPerSecond: 9_000 },
    loader: { eventsPerSecond: 15_000 },
  },
  dashboard: { runs: 5, medianMs: 811 },
  chaos: { acked: 100_000, lost: 0, countedTwice: 0, rollupGap: 0, segmentGap: 2 },
};

describe('the closing table of npm run bench', () => {
  it('sets each figure beside its goal and its same-run limit, and says whether it met the goal', () => {
    const rows = reportRows(RESULTS);
    const byFigure = new Map(rows.map((row) => [row.figure, row]));
    expect(byFigure.get('SDK IIFE, gzip')).toMatchObject({ value: '6,285 B', met: false });
    expect(byFigure.get('ingest → Kafka, acks=all (none)')).toMatchObject({
      value: '18,931 events/s',
      beside: '70% of ProducerPerformance 27,139/s',
      met: false,
    });
    expect(byFigure.get('ingest → Kafka, acks=all (gzip)')).toMatchObject({ met: true });
    expect(byFigure.get('edge on Node, counting sink')).toMatchObject({
      beside: '50% of JSON limit',
      met: true,
    });
    // Per CPU-second of the edge's process beside the wall-clock share, when the bench read it.
    expect(byFigure.get('edge on Node, HTTP ingest sink')).toMatchObject({
      beside: '12% of JSON limit; 15% per CPU-s',
      met: false,
    });
    expect(byFigure.get('edge in workerd (wrangler dev)')).toMatchObject({
      beside: '4% of JSON limit',
      met: false,
    });
    expect(byFigure.get('dashboard: top pages, 24 h')).toMatchObject({
      value: 'p99 150 ms',
      beside: 'over 10,000,000 events',
      met: true,
    });
    expect(byFigure.get('dashboard: events per hour, 24 h')?.met).toBe(false);
    expect(byFigure.get('decide through the edge, 8 concurrent')).toMatchObject({
      beside: '',
      met: false,
    });
    expect(byFigure.get('decide through the edge, 8 concurrent, edge cache 1000 ms')).toMatchObject(
      { beside: '400 of 2000 to the backend', met: true },
    );
    expect(byFigure.get('decide through the edge, 1 concurrent')?.met).toBeNull();
    expect(byFigure.get('login in the demo → open dashboard shows the segment')?.met).toBe(true);
    // A gap in segment state fails the chaos row though nothing was lost or counted twice.
    expect(byFigure.get('chaos: kill -9 of each part under load')).toMatchObject({
      value: '0 lost, 0 counted twice',
      met: false,
    });
    // Sections that did not run, or failed, give no row; non-panel numbers are not panels.
    expect(rows.some((row) => row.figure.includes('queryable'))).toBe(false);
    expect(byFigure.get('Flink job, parallelism 2')).toMatchObject({
      beside: '90% of the TS processor (10,000/s)',
      met: false,
    });
    expect(byFigure.get('Flink loader, Kafka → Redis + chdb')).toMatchObject({
      value: '15,000 events/s',
      beside: '150% of the TS processor (10,000/s)',
      met: false,
    });
    expect(rows.filter((row) => row.figure.includes('Flink'))).toHaveLength(3);
    expect(rows.some((row) => row.figure === 'dashboard: fillMs')).toBe(false);
  });

  it('puts the JSON limit on top, or says it was not measured', () => {
    expect(reportTable(RESULTS)[1]).toEqual([
      'JSON parse+stringify, 1 core',
      '300,000 events/s',
      'the limit',
      '',
      '',
    ]);
    expect(reportTable({})[1]?.[1]).toBe('not measured (run the edge section)');
  });

  it('writes one history line per run: the commit and every figure', () => {
    const line = historyLine(RESULTS, 'abc123');
    expect(line.endsWith('\n')).toBe(true);
    expect(line.trim().includes('\n')).toBe(false);
    expect(JSON.parse(line)).toEqual({ commit: 'abc123', ...RESULTS });
  });
});
