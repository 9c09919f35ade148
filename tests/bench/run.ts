/**
 * `npm run bench [section …]`: prints the figures the issues ask for, then one table of them
 * all beside their goals (report.ts), writes them to test-results/bench.json and appends them
 * to tests/bench/history.ndjson. Benchmarks measure; they never assert timings. Each section runs
 * in a process of its own.
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchPeers, benchSdkSize } from './sdk-size';
import { historyLine, reportTable } from './report';
import { printTable } from './table';

/** Every run's figures, one JSON line each with its commit: a regression shows as a diff. */
const HISTORY = 'tests/bench/history.ndjson';

/** The commit measured, `-dirty` when the working tree has changes. */
function currentCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { encoding: 'utf8' }).trim();
    return dirty ? `${head}-dirty` : head;
  } catch {
    return 'unknown';
  }
}

type Section = () => Promise<Record<string, unknown>> | Record<string, unknown>;

const sections: Record<string, () => Promise<Section>> = {
  'sdk-size': async () => benchSdkSize,
  peers: async () => benchPeers,
  'sdk-browser': async () => (await import('./sdk-browser')).benchSdkBrowser,
  'ingest-kafka': async () => (await import('./ingest-kafka')).benchIngestKafka,
  edge: async () => (await import('./edge')).benchEdge,
  processor: async () => (await import('./processor')).benchProcessor,
  flink: async () => (await import('./flink')).benchFlink,
  latency: async () => (await import('./latency')).benchLatency,
  dashboard: async () => (await import('./dashboard')).benchDashboard,
  'dashboard-queries': async () => (await import('./dashboard-queries')).benchDashboardQueries,
  decide: async () => (await import('./decide')).benchDecide,
  archive: async () => (await import('./archive')).benchArchive,
  chaos: async () => (await import('./chaos')).benchChaos,
};

/**
 * Runs one section in a process of its own and returns its figures: a section's leftovers
 * (a chdb engine still merging, a large heap) would otherwise slow the sections after it.
 */
async function runIsolated(name: string): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-bench-'));
  const out = join(dir, 'result.json');
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', fileURLToPath(import.meta.url), '--section', name],
        { stdio: 'inherit', env: { ...process.env, PULSE_BENCH_RESULT: out } },
      );
      child.on('error', reject);
      child.on('exit', resolve);
    });
    if (code !== 0) throw new Error(`section ${name} exited with ${code}`);
    return JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** In a section's own process: run it and leave its figures where the parent reads them. */
async function runSection(name: string, out: string): Promise<void> {
  const section = sections[name];
  if (!section) throw new Error(`unknown section ${name}`);
  writeFileSync(out, JSON.stringify(await (await section())()));
  // Services a section started may keep handles open; its figures are written.
  process.exit(0);
}

async function main(): Promise<void> {
  const sectionFlag = process.argv.indexOf('--section');
  if (sectionFlag !== -1) {
    const out = process.env.PULSE_BENCH_RESULT;
    if (!out) throw new Error('--section needs PULSE_BENCH_RESULT');
    return runSection(process.argv[sectionFlag + 1] ?? '', out);
  }
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = wanted.filter((w) => !(w in sections));
  if (unknown.length)
    throw new Error(
      `unknown section(s) ${unknown.join(', ')}; choose from ${Object.keys(sections).join(', ')}`,
    );
  // The commit measured is the one checked out when the run starts.
  const commit = currentCommit();
  const results: Record<string, unknown> = {
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
    at: new Date().toISOString(),
  };
  let failed = 0;
  for (const name of wanted.length ? wanted : Object.keys(sections)) {
    console.log(`\n=== ${name} ===`);
    try {
      results[name] = await runIsolated(name);
    } catch (error) {
      failed++;
      console.error(`section ${name} failed:`, error);
      results[name] = { error: String(error) };
    }
  }
  mkdirSync('test-results', { recursive: true });
  writeFileSync('test-results/bench.json', `${JSON.stringify(results, null, 2)}\n`);
  console.log('\n=== every figure, beside its goal ===');
  printTable(reportTable(results));
  appendFileSync(HISTORY, historyLine(results, commit));
  console.log(`\nfigures written to test-results/bench.json and appended to ${HISTORY}`);
  if (failed) process.exitCode = 1;
}

await main();
