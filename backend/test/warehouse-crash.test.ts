import { rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createWarehouse } from '../src/warehouse/create-warehouse';
import { crashBatch, tempWarehousePath } from './warehouse-fixtures';

const child = fileURLToPath(new URL('./warehouse-crash-child.ts', import.meta.url));

/**
 * Runs the writer child until it acknowledged `batches` batches, then kills it with SIGKILL.
 * With `stdin`, the child's stdin is a pipe holding those bytes, left open.
 */
async function writeThenKill(path: string, batches: number, stdin?: string): Promise<number> {
  const writer = spawn(process.execPath, ['--import', 'tsx', child, path], {
    stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'inherit'],
  });
  if (stdin !== undefined) writer.stdin!.write(stdin);
  let acked = 0;
  let buffered = '';
  await new Promise<void>((resolve, reject) => {
    writer.on('error', reject);
    writer.on('exit', (code, signal) => {
      if (signal == 'SIGKILL') resolve();
      else reject(new Error(`writer exited by itself: code ${code}, signal ${signal}`));
    });
    writer.stdout!.setEncoding('utf8');
    writer.stdout!.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const match = /^acked (\d+)$/.exec(line);
        if (match) acked = Number(match[1]);
        if (acked >= batches) writer.kill('SIGKILL');
      }
    });
  });
  return acked;
}

describe('warehouse after kill -9', () => {
  it('keeps every acknowledged batch, opens again, and absorbs the replay of the one in flight', async () => {
    const path = tempWarehousePath();
    const acked = await writeThenKill(path, 5);
    const warehouse = await createWarehouse({ path, ttl: false });
    try {
      const stored = await warehouse.eventCount('cust_a');
      // Every acknowledged event is there; the batch in flight at the kill may be too.
      expect(stored).toBeGreaterThanOrEqual(acked * 2_000);
      expect(stored).toBeLessThanOrEqual((acked + 1) * 2_000);
      // As the processor does after a crash: write the unacknowledged batch again.
      await warehouse.write({ events: crashBatch(acked), links: [], changes: [] });
      const total = (acked + 1) * 2_000;
      expect(await warehouse.eventCount('cust_a')).toBe(total);
      const minutes = await warehouse.rollups(
        'cust_a',
        new Date('2025-01-21T00:00:00.000Z'),
        new Date('2025-01-22T00:00:00.000Z'),
      );
      const rolledUp = minutes.reduce((sum, m) => sum + (m.events['page_view:page_view'] ?? 0), 0);
      expect(rolledUp).toBe(total);
      expect(minutes.map((m) => m.visitors)).toEqual(minutes.map(() => 50));
    } finally {
      await warehouse.close();
      rmSync(path, { recursive: true, force: true });
    }
  });

  it('writes while its stdin is a pipe holding bytes', async () => {
    // chdb reads the host's stdin as an INSERT's data (chdb-core#239): a backend started by a
    // supervisor with a pipe on stdin refused every batch ("… both inlined and external data").
    const path = tempWarehousePath();
    const acked = await writeThenKill(path, 2, '{"tick":1}\n');
    const warehouse = await createWarehouse({ path, ttl: false });
    try {
      expect(acked).toBe(2);
      const stored = await warehouse.eventCount('cust_a');
      expect(stored).toBeGreaterThanOrEqual(2 * 2_000);
      expect(stored).toBeLessThanOrEqual(3 * 2_000);
    } finally {
      await warehouse.close();
      rmSync(path, { recursive: true, force: true });
    }
  });
});
