import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const edgeDir = new URL('..', import.meta.url).pathname;
const wrangler = createRequire(import.meta.url).resolve('wrangler/bin/wrangler.js');
/** Cloudflare's limit for a Worker on the free plan is 3 MB gzip; ours stays far below. */
const WORKER_GZIP_BUDGET = 512 * 1024;

let out: string | undefined;
afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

describe('wrangler deploy --dry-run', () => {
  it('builds the Worker with every binding it needs, within its size budget and without Node-only code', async () => {
    out = await mkdtemp(join(tmpdir(), 'pulse-worker-'));
    const { stdout } = await run(
      process.execPath,
      [wrangler, 'deploy', '--dry-run', '--outdir', out],
      {
        cwd: edgeDir,
        env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
        timeout: 120_000,
      },
    );
    for (const binding of ['env.KEYS', 'env.RATE_LIMITER', 'env.RECEIPTS', 'env.METRICS']) {
      expect(stdout).toContain(binding);
    }
    const bundle = await readFile(join(out, 'index.js'));
    expect(gzipSync(bundle).length).toBeLessThan(WORKER_GZIP_BUDGET);
    const text = bundle.toString('utf8');
    for (const nodeOnly of ['prom-client', 'kafkajs', 'ioredis', '@hono/node-server']) {
      expect(text.includes(nodeOnly), `${nodeOnly} in the Worker bundle`).toBe(false);
    }
    // A build takes seconds alone and much longer beside the other suites on a busy machine.
  }, 150_000);
});
