import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkersEdge, WorkersEdgeOptions } from './wrangler-edge';

const edgeDir = fileURLToPath(new URL('../../edge/', import.meta.url));

/** The part of Miniflare 4's API used here. */
interface Miniflare4 {
  ready: Promise<URL>;
  unsafeGetDirectURL(): Promise<URL>;
  getKVNamespace(name: string): Promise<{ put(key: string, value: string): Promise<void> }>;
  dispose(): Promise<void>;
}

/**
 * wrangler's own Miniflare (4.x, beside the pinned wrangler): the top-level `miniflare` is the
 * Workers test pool's 5.x alpha, with another API and Node 22.
 */
function miniflareOfWrangler(): new (options: Record<string, unknown>) => Miniflare4 {
  const fromRoot = createRequire(import.meta.url);
  const wrangler = createRequire(fromRoot.resolve('wrangler/package.json'));
  return (
    wrangler('miniflare') as { Miniflare: new (options: Record<string, unknown>) => Miniflare4 }
  ).Miniflare;
}

/**
 * The edge Worker as `wrangler deploy` bundles it, run in workerd through Miniflare's API on a
 * free port of its own: without `wrangler dev`'s local proxy in front (which caps throughput
 * near 850 requests/s) and without Miniflare's JavaScript entry and outbound workers around it
 * (30% of the workerd process's CPU, measured 2026-12-06): the production-like way to measure the
 * Worker on this machine. KV and Durable Objects (SQLite-backed, as wrangler.toml migrates
 * them) are Miniflare's, in a temp dir: the rate limiter's SQLite commit on every request is
 * paid by this workerd process, where production pays it in the object's own location.
 */
export async function startWorkerdEdge(options: WorkersEdgeOptions): Promise<WorkersEdge> {
  const out = mkdtempSync(join(tmpdir(), 'pulse-workerd-'));
  try {
    execFileSync('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', out], {
      cwd: edgeDir,
      stdio: 'ignore',
    });
    const Miniflare = miniflareOfWrangler();
    const mf = new Miniflare({
      host: '127.0.0.1',
      port: 0,
      modules: [
        {
          type: 'ESModule',
          path: 'index.js',
          contents: readFileSync(join(out, 'index.js'), 'utf8'),
        },
      ],
      compatibilityDate: '2026-04-01',
      compatibilityFlags: ['nodejs_compat'],
      // Requests reach the Worker on a socket of its own, not through Miniflare's entry worker,
      // and its fetches go straight out, not through Miniflare's header-stripping worker: two
      // JavaScript hops per request (and one per ingest write) that production does not have.
      unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }],
      stripCfConnectingIp: false,
      kvNamespaces: ['KEYS'],
      durableObjects: {
        RATE_LIMITER: { className: 'RateLimiterObject', useSQLite: true },
        RECEIPTS: { className: 'ReceiptsObject', useSQLite: true },
      },
      bindings: {
        INGEST_URL: options.ingestUrl,
        INGEST_SECRET: options.ingestSecret,
        IP_SALT_SECRET: 'bench-ip-salt',
        CONFIG_CACHE_SECONDS: '10',
      },
    });
    await mf.ready;
    const url = await mf.unsafeGetDirectURL();
    const kv = await mf.getKVNamespace('KEYS');
    for (const [key, config] of Object.entries(options.keys)) {
      await kv.put(key, JSON.stringify(config));
    }
    return {
      url: url.origin,
      stop: async () => {
        await mf.dispose();
        rmSync(out, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(out, { recursive: true, force: true });
    throw error;
  }
}
