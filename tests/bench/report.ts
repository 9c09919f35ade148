/**
 * The closing table of `npm run bench`: every figure the issues ask for, beside its goal and
 * its same-run limit or peer, under the machine's JSON limit; and the history file each run
 * appends to, so a regression shows as a diff (tests/bench/history.ndjson).
 */

/** The results of a run: section name → that section's figures (see run.ts). */
export type BenchResults = Record<string, unknown>;

/** One line of the closing table. */
export interface ReportRow {
  figure: string;
  value: string;
  goal: string;
  /** The same-run limit or peer the figure stands beside, if it has one. */
  beside: string;
  /** Whether the goal was met; null when this run cannot say. */
  met: boolean | null;
}

/** The value at `path` in `results`, or undefined. */
function at(results: BenchResults, ...path: string[]): unknown {
  let value: unknown = results;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;
const int = (value: number) => Math.round(value).toLocaleString('en');
const pct = (value: number) => `${Math.round(value * 100)}%`;

/** The machine's JSON parse+stringify limit of this run (the edge section measures it). */
export function jsonLimit(results: BenchResults): number | undefined {
  return num(at(results, 'edge', 'jsonLimitEventsPerSecond'));
}

/**
 * The closing table's rows for the sections present in `results`; a section that did not run
 * (or failed) contributes no row.
 */
export function reportRows(results: BenchResults): ReportRow[] {
  const rows: ReportRow[] = [];
  const json = jsonLimit(results);

  const gzip = num(at(results, 'sdk-size', 'iife', 'gzip'));
  const budget = num(at(results, 'sdk-size', 'budgetGzip'));
  if (gzip !== undefined) {
    rows.push({
      figure: 'SDK IIFE, gzip',
      value: `${int(gzip)} B`,
      goal: '≤ 5,632 B (5.5 KB)',
      beside: budget === undefined ? '' : `size test budget ${int(budget)} B`,
      met: gzip <= 5632,
    });
  }
  const trackUs = num(at(results, 'sdk-browser', 'trackMicroseconds'));
  if (trackUs !== undefined) {
    rows.push({
      figure: 'SDK track() in Chromium',
      value: `${trackUs.toFixed(1)} µs`,
      goal: '≤ 20 µs',
      beside: '',
      met: trackUs <= 20,
    });
  }

  for (const compression of ['none', 'gzip']) {
    const rate = num(at(results, 'ingest-kafka', compression, 'eventsPerSecond'));
    const limit = num(at(results, 'ingest-kafka', compression, 'kafkaLimit', 'recordsPerSecond'));
    if (rate === undefined) continue;
    rows.push({
      figure: `ingest → Kafka, acks=all (${compression})`,
      value: `${int(rate)} events/s`,
      goal: '≥ 50,000/s, ≥ 50% of limit',
      beside:
        limit === undefined ? '' : `${pct(rate / limit)} of ProducerPerformance ${int(limit)}/s`,
      met: limit === undefined ? null : rate >= 50_000 && rate / limit >= 0.5,
    });
  }

  for (const [runtime, label] of [
    ['node', 'edge on Node, counting sink'],
    ['nodeHttpSink', 'edge on Node, HTTP ingest sink'],
    ['workerd', 'edge in workerd (wrangler dev)'],
    ['workerdDirect', 'edge in workerd (bundle, own socket)'],
  ] as const) {
    const rate = num(at(results, 'edge', runtime, 'eventsPerSecond'));
    if (rate === undefined || json === undefined) continue;
    // Per CPU-second of the edge's process: what one core of edge serves, whatever else the
    // two shared cores were doing (the load generator, ingest, other work on the machine).
    const perCpu = num(at(results, 'edge', runtime, 'eventsPerCpuSecond'));
    rows.push({
      figure: label,
      value: `${int(rate)} events/s`,
      goal: '≥ 40% of JSON limit',
      beside:
        `${pct(rate / json)} of JSON limit` +
        (perCpu === undefined ? '' : `; ${pct(perCpu / json)} per CPU-s`),
      met: rate / json >= 0.4,
    });
  }

  const processor = num(at(results, 'processor', 'kafka', 'eventsPerSecond'));
  if (processor !== undefined) {
    rows.push({
      figure: 'TS processor, Kafka → Redis + chdb',
      value: `${int(processor)} events/s`,
      goal: '≥ 20,000/s',
      beside: json === undefined ? '' : `${pct(processor / json)} of JSON limit`,
      met: processor >= 20_000,
    });
  }
  const flink = at(results, 'flink');
  const parallelisms = Object.keys(flink && typeof flink === 'object' ? flink : {})
    .filter((key) => /^flinkP\d+$/.test(key))
    .map((key) => key.slice('flinkP'.length));
  for (const parallelism of parallelisms) {
    const rate = num(at(results, 'flink', `flinkP${parallelism}`, 'eventsPerSecond'));
    const ts = num(at(results, 'flink', 'ts', 'kafka', 'eventsPerSecond'));
    if (rate === undefined) continue;
    rows.push({
      figure: `Flink job, parallelism ${parallelism}`,
      value: `${int(rate)} events/s`,
      goal: '≥ 50,000/s',
      beside: ts === undefined ? '' : `${pct(rate / ts)} of the TS processor (${int(ts)}/s)`,
      met: rate >= 50_000,
    });
  }

  const loader = num(at(results, 'flink', 'loader', 'eventsPerSecond'));
  if (loader !== undefined) {
    const ts = num(at(results, 'flink', 'ts', 'kafka', 'eventsPerSecond'));
    rows.push({
      // Every event of the Flink mode passes through it: it bounds that mode as the TS
      // processor bounds the other.
      figure: 'Flink loader, Kafka → Redis + chdb',
      value: `${int(loader)} events/s`,
      goal: '≥ 50,000/s',
      beside: ts === undefined ? '' : `${pct(loader / ts)} of the TS processor (${int(ts)}/s)`,
      met: loader >= 50_000,
    });
  }

  const flinkP50 = num(at(results, 'flink', 'latency', 'p50'));
  const flinkP99 = num(at(results, 'flink', 'latency', 'p99'));
  const checkpoint = num(at(results, 'flink', 'latency', 'checkpointMs'));
  if (flinkP50 !== undefined && flinkP99 !== undefined) {
    rows.push({
      figure: 'Flink, Kafka ack → change readable, 1K events/s',
      value: `p50 ${int(flinkP50)} / p99 ${int(flinkP99)} ms`,
      goal: 'p50 ≤ 500, p99 ≤ 2,000 ms',
      beside: checkpoint === undefined ? '' : `checkpoint interval ${int(checkpoint)} ms`,
      met: flinkP50 <= 500 && flinkP99 <= 2000,
    });
  }

  for (const phase of ['steady 1K events/s', 'burst 10K events/s']) {
    const p50 = num(at(results, 'latency', phase, 'p50'));
    const p99 = num(at(results, 'latency', phase, 'p99'));
    const backendCpu = num(at(results, 'latency', phase, 'backendCpuPercent'));
    if (p50 === undefined || p99 === undefined) continue;
    rows.push({
      figure: `edge 200 → queryable, ${phase}`,
      value: `p50 ${int(p50)} / p99 ${int(p99)} ms`,
      goal: 'p50 ≤ 500, p99 ≤ 2,000 ms',
      beside: backendCpu === undefined ? '' : `backend process CPU ${int(backendCpu)}%`,
      met: p50 <= 500 && p99 <= 2000,
    });
  }

  const panels = at(results, 'dashboard-queries');
  if (panels && typeof panels === 'object') {
    for (const [panel, figures] of Object.entries(panels)) {
      const p99 = num((figures as Record<string, unknown> | null)?.p99);
      if (p99 === undefined) continue;
      const events = num(at(results, 'dashboard-queries', 'events'));
      rows.push({
        figure: `dashboard: ${panel}`,
        value: `p99 ${int(p99)} ms`,
        goal: 'p99 ≤ 200 ms',
        beside: events === undefined ? '' : `over ${int(events)} events`,
        met: p99 <= 200,
      });
    }
  }

  const login = num(at(results, 'dashboard', 'medianMs'));
  if (login !== undefined) {
    rows.push({
      figure: 'login in the demo → open dashboard shows the segment',
      value: `median ${int(login)} ms`,
      goal: '≤ 2,000 ms',
      beside: '',
      met: login <= 2000,
    });
  }

  const chaosAcked = num(at(results, 'chaos', 'acked'));
  const chaosLost = num(at(results, 'chaos', 'lost'));
  const chaosTwice = num(at(results, 'chaos', 'countedTwice'));
  if (chaosAcked !== undefined && chaosLost !== undefined && chaosTwice !== undefined) {
    const gaps =
      (num(at(results, 'chaos', 'rollupGap')) ?? 0) +
      (num(at(results, 'chaos', 'segmentGap')) ?? 0);
    rows.push({
      figure: 'chaos: kill -9 of each part under load',
      value: `${int(chaosLost)} lost, ${int(chaosTwice)} counted twice`,
      goal: '0 lost, 0 twice, 0 gaps',
      beside: `of ${int(chaosAcked)} acknowledged; rollup + segment gaps ${int(gaps)}`,
      met: chaosLost === 0 && chaosTwice === 0 && gaps === 0,
    });
  }

  for (const store of ['directory', 'bucket (SeaweedFS)']) {
    const rate = num(at(results, 'archive', store, 'eventsPerSecond'));
    const files = num(at(results, 'archive', store, 'filesPerSecond'));
    const cold = num(at(results, 'archive', store, 'archiveP50'));
    const warm = num(at(results, 'archive', store, 'warmP50'));
    if (rate === undefined || cold === undefined || warm === undefined) continue;
    rows.push({
      figure: `archive write, ${store}`,
      value: `${int(rate)} events/s`,
      goal: 'reported',
      beside: files === undefined ? '' : `${int(files)} hour files/s`,
      met: null,
    });
    rows.push({
      figure: `${String(at(results, 'archive', 'days'))}-day query on the archive, ${store}`,
      value: `p50 ${int(cold)} ms`,
      goal: 'reported',
      beside: `warm tier ${int(warm)} ms (${(cold / Math.max(warm, 1)).toFixed(1)}x)`,
      met: null,
    });
  }

  const decideRuns = at(results, 'decide', 'runs');
  if (Array.isArray(decideRuns)) {
    for (const run of decideRuns as Array<Record<string, unknown>>) {
      const p99 = num(run.p99);
      if (p99 === undefined) continue;
      const cached = num(run.cacheMs) ? `, edge cache ${String(run.cacheMs)} ms` : '';
      rows.push({
        figure: `decide through the edge, ${String(run.concurrency)} concurrent${cached}`,
        value: `p99 ${p99.toFixed(1)} ms`,
        goal: 'p99 ≤ 20 ms (at 8)',
        beside:
          num(run.backendCalls) === undefined
            ? ''
            : `${String(run.backendCalls)} of ${String(run.requests)} to the backend`,
        met: run.concurrency === 8 ? p99 <= 20 : null,
      });
    }
  }
  return rows;
}

/** The closing table as text rows for printTable (header first), the JSON limit on top. */
export function reportTable(results: BenchResults): Array<Array<string>> {
  const json = jsonLimit(results);
  const table = [['figure', 'value', 'goal', 'beside (same run)', 'met']];
  table.push([
    'JSON parse+stringify, 1 core',
    json === undefined ? 'not measured (run the edge section)' : `${int(json)} events/s`,
    'the limit',
    '',
    '',
  ]);
  for (const row of reportRows(results)) {
    const met = row.met === null ? '?' : row.met ? 'yes' : 'no';
    table.push([row.figure, row.value, row.goal, row.beside, met]);
  }
  return table;
}

/** One line of the history file: when, which commit, on what, and every figure. */
export function historyLine(results: BenchResults, commit: string): string {
  return `${JSON.stringify({ commit, ...results })}\n`;
}
