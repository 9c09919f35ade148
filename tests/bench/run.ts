/**
 * `npm run bench [section …]`: prints the figures the issues ask for and writes them to
 * test-results/bench.json. Benchmarks measure; they never assert timings.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { benchPeers, benchSdkSize } from './sdk-size';

type Section = () => Promise<Record<string, unknown>> | Record<string, unknown>;

const sections: Record<string, () => Promise<Section>> = {
  'sdk-size': async () => benchSdkSize,
  peers: async () => benchPeers,
  'sdk-browser': async () => (await import('./sdk-browser')).benchSdkBrowser,
  'ingest-kafka': async () => (await import('./ingest-kafka')).benchIngestKafka,
  edge: async () => (await import('./edge')).benchEdge,
  processor: async () => (await import('./processor')).benchProcessor,
  latency: async () => (await import('./latency')).benchLatency,
  dashboard: async () => (await import('./dashboard')).benchDashboard,
  'dashboard-queries': async () => (await import('./dashboard-queries')).benchDashboardQueries,
  decide: async () => (await import('./decide')).benchDecide,
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = wanted.filter((w) => !(w in sections));
  if (unknown.length)
    throw new Error(
      `unknown section(s) ${unknown.join(', ')}; choose from ${Object.keys(sections).join(', ')}`,
    );
  const results: Record<string, unknown> = {
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
    at: new Date().toISOString(),
  };
  let failed = 0;
  for (const name of wanted.length ? wanted : Object.keys(sections)) {
    console.log(`\n=== ${name} ===`);
    try {
      results[name] = await (await sections[name]!())();
    } catch (error) {
      failed++;
      console.error(`section ${name} failed:`, error);
      results[name] = { error: String(error) };
    }
  }
  mkdirSync('test-results', { recursive: true });
  writeFileSync('test-results/bench.json', `${JSON.stringify(results, null, 2)}\n`);
  console.log('\nfigures written to test-results/bench.json');
  if (failed) process.exitCode = 1;
}

await main();
