import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import type { ApiContext } from '../src/api/api-context';
import { createExportApp } from '../src/api/exports/export-app';
import { secretKeysFrom } from '../src/api/secret-keys';
import { onApiError } from '../src/errors/on-api-error';
import { startBackend, type Backend } from '../src/start-backend';
import { postIngest } from './ingest-fixtures';
import { pulseEvent } from './kafka-fixtures';
import { fileStore } from '../src/warehouse/file-store';

const SECRET = 'export-secret';
const asCustomerA = { authorization: 'Bearer sk_a', 'content-type': 'application/json' };

let backend: Backend;
let dataDir: string;
let exportDir: string;
beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'pulse-export-api-'));
  exportDir = mkdtempSync(join(tmpdir(), 'pulse-exports-'));
  backend = await startBackend({
    dataDir,
    port: 0,
    ingestSecret: SECRET,
    tickMs: 0,
    ttl: false,
    apiKeys: { sk_a: 'cust_a', sk_b: 'cust_b' },
    exportTo: fileStore(exportDir),
  });
  const day = (hour: number) => `2026-11-01T${String(hour).padStart(2, '0')}:30:00.000Z`;
  await postIngest(backend.url!, SECRET, {
    customer_id: 'cust_a',
    events: [
      pulseEvent('cust_a', { timestamp: day(9) }),
      pulseEvent('cust_a', { timestamp: day(17) }),
    ],
    dead_letters: [],
  });
  await postIngest(backend.url!, SECRET, {
    customer_id: 'cust_b',
    events: [pulseEvent('cust_b', { timestamp: day(9) })],
    dead_letters: [],
  });
  await backend.processor.idle();
});
afterAll(async () => {
  await backend?.stop();
  for (const dir of [dataDir, exportDir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

const exportDay = (body: unknown, headers: Record<string, string> = asCustomerA) =>
  fetch(`${backend.url}/v1/exports`, { method: 'POST', headers, body: JSON.stringify(body) });

describe('POST /v1/exports', () => {
  it("writes the key's customer's day, and only theirs", async () => {
    const res = await exportDay({ day: '2026-11-01' });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { rows: number; files: string[] };
    expect(answer).toEqual({
      day: '2026-11-01',
      rows: 2,
      files: [
        'customer_id=cust_a/dt=2026-11-01/events.parquet',
        'customer_id=cust_a/dt=2026-11-01/events.ndjson',
      ],
    });
    const lines = readFileSync(join(exportDir, answer.files[1]!), 'utf8').trim().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as { customer_id: string }).customer_id)).toEqual([
      'cust_a',
      'cust_a',
    ]);
  });

  it('needs a secret key and a date', async () => {
    expect(
      (await exportDay({ day: '2026-11-01' }, { 'content-type': 'application/json' })).status,
    ).toBe(401);
    const bad = await exportDay({ day: '2026-11-31' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    expect((await exportDay({ day: '../../etc' })).status).toBe(400);
  });

  it('answers 404 on a backend without an export directory', async () => {
    // Mounted as ingest mounts the APIs: errors answered by the one API error handler.
    const app = new Hono();
    app.onError(onApiError(() => undefined));
    app.route(
      '/v1/exports',
      createExportApp({ keys: secretKeysFrom({ sk_a: 'cust_a' }) } as ApiContext),
    );
    const res = await app.request('/v1/exports', {
      method: 'POST',
      headers: asCustomerA,
      body: JSON.stringify({ day: '2026-11-01' }),
    });
    expect(res.status).toBe(404);
  });
});
