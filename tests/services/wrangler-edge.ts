import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitUntil } from './free-port';

const edgeDir = fileURLToPath(new URL('../../edge/', import.meta.url));

export interface WorkersEdge {
  url: string;
  stop(): Promise<void>;
}

export interface WorkersEdgeOptions {
  /** Backend ingest the Worker forwards signed batches to. */
  ingestUrl: string;
  ingestSecret: string;
  /** Write key → KeyConfig JSON, put into the Worker's local KV before it starts. */
  keys: Record<string, unknown>;
}

/**
 * The edge Worker under `wrangler dev` (workerd, local mode) on a free port, with its own KV and
 * Durable Object state in a temp dir. Stopped with its whole process group.
 */
export async function startWorkersEdge(options: WorkersEdgeOptions): Promise<WorkersEdge> {
  const state = mkdtempSync(join(tmpdir(), 'pulse-wrangler-'));
  for (const [key, config] of Object.entries(options.keys)) {
    const put = spawnSync(
      'npx',
      [
        'wrangler',
        'kv',
        'key',
        'put',
        key,
        JSON.stringify(config),
        '--binding',
        'KEYS',
        '--local',
        '--persist-to',
        state,
      ],
      {
        cwd: edgeDir,
        encoding: 'utf8',
      },
    );
    if (put.status !== 0) throw new Error(`wrangler kv key put failed: ${put.stderr}`);
  }
  const port = await freePort();
  const child = spawn(
    'npx',
    [
      'wrangler',
      'dev',
      '--port',
      String(port),
      '--persist-to',
      state,
      '--var',
      `INGEST_URL:${options.ingestUrl}`,
      '--var',
      `INGEST_SECRET:${options.ingestSecret}`,
    ],
    { cwd: edgeDir, stdio: 'ignore', detached: true },
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
    await new Promise<void>((resolve) =>
      child.exitCode != null ? resolve() : child.once('exit', () => resolve()),
    );
    rmSync(state, { recursive: true, force: true });
  };
  try {
    await waitUntil(
      'wrangler dev',
      async () => (await fetch(`${url}/v1/events`, { method: 'OPTIONS' })).status > 0,
      120_000,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}
