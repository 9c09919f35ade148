import { readFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { IIFE_GZIP_BUDGET } from '../../sdk/test/budgets';
import { kb, printTable } from './table';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface Sizes {
  min: number;
  gzip: number;
  brotli: number;
}

export const sizesOf = (code: Uint8Array | string): Sizes => {
  const buf = Buffer.from(code);
  return {
    min: buf.length,
    gzip: gzipSync(buf, { level: 9 }).length,
    brotli: brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
};

/** The Pulse IIFE bundle as users load it from a script tag. */
export function benchSdkSize(): Record<string, unknown> {
  const sizes = sizesOf(readFileSync(`${root}sdk/dist/pulse.iife.js`));
  const snippet = sizesOf(readFileSync(`${root}sdk/dist/snippet.min.js`));
  printTable([
    ['build', 'minified', 'gzip', 'brotli', 'budget (gzip)'],
    [
      'sdk/dist/pulse.iife.js',
      kb(sizes.min),
      kb(sizes.gzip),
      kb(sizes.brotli),
      `${kb(IIFE_GZIP_BUDGET)} ${sizes.gzip <= IIFE_GZIP_BUDGET ? 'OK' : 'OVER'}`,
    ],
    ['sdk/dist/snippet.min.js', kb(snippet.min), kb(snippet.gzip), kb(snippet.brotli), ''],
  ]);
  return { iife: sizes, snippet, budgetGzip: IIFE_GZIP_BUDGET };
}

/** Entries that use each SDK the way its docs show, so tree shaking keeps what users ship. */
const PEERS: Record<string, { entry: string; note?: string }> = {
  '@pulse/sdk': {
    entry: `import { pulse } from '${root}sdk/dist/pulse.mjs'; pulse.init({ key: 'k', endpoint: 'https://e' }); pulse.track('x');`,
  },
  '@segment/analytics-next': {
    entry: `import { AnalyticsBrowser } from '@segment/analytics-next'; const a = AnalyticsBrowser.load({ writeKey: 'k' }); a.track('x');`,
    note: 'device-mode destinations load later from a CDN: not counted',
  },
  'posthog-js': {
    entry: `import posthog from 'posthog-js'; posthog.init('k', { api_host: 'https://e' }); posthog.capture('x');`,
    note: 'recorder, surveys etc. load lazily: not counted',
  },
  '@rudderstack/analytics-js': {
    entry: `import { RudderAnalytics } from '@rudderstack/analytics-js'; const a = new RudderAnalytics(); a.load('k', 'https://e'); a.track('x');`,
    note: 'plugins load later from a CDN: not counted',
  },
  '@amplitude/analytics-browser': {
    entry: `import * as amplitude from '@amplitude/analytics-browser'; amplitude.init('k'); amplitude.track('x');`,
    note: 'pinned 2.46.0 (a newer dependency is missing from the registry here)',
  },
  'mixpanel-browser': {
    entry: `import mixpanel from 'mixpanel-browser'; mixpanel.init('k'); mixpanel.track('x');`,
  },
  '@snowplow/browser-tracker': {
    entry: `import { newTracker, trackPageView } from '@snowplow/browser-tracker'; newTracker('sp', 'https://e'); trackPageView();`,
  },
};

/** Bundles each peer the same way (esbuild, minified IIFE for browsers) and compares gzip sizes. */
export async function benchPeers(): Promise<Record<string, unknown>> {
  const results: Record<string, Sizes & { version: string; note?: string }> = {};
  for (const [name, { entry, note }] of Object.entries(PEERS)) {
    const out = await build({
      stdin: { contents: entry, resolveDir: `${root}tests`, loader: 'js' },
      bundle: true,
      minify: true,
      format: 'iife',
      platform: 'browser',
      target: 'es2020',
      write: false,
      logLevel: 'silent',
      define: { 'process.env.NODE_ENV': '"production"' },
    });
    const version =
      name === '@pulse/sdk'
        ? (JSON.parse(readFileSync(`${root}sdk/package.json`, 'utf8')) as { version: string })
            .version
        : (
            JSON.parse(readFileSync(`${root}node_modules/${name}/package.json`, 'utf8')) as {
              version: string;
            }
          ).version;
    results[name] = { ...sizesOf(out.outputFiles[0]!.contents), version, note };
  }
  const pulse = results['@pulse/sdk']!.gzip;
  printTable([
    [
      'SDK (esbuild, minified, iife)',
      'version',
      'minified',
      'gzip',
      'brotli',
      'gzip vs Pulse',
      'note',
    ],
    ...Object.entries(results).map(([name, r]) => [
      name,
      r.version,
      kb(r.min),
      kb(r.gzip),
      kb(r.brotli),
      `${(r.gzip / pulse).toFixed(1)}x`,
      r.note ?? '',
    ]),
  ]);
  return results;
}
