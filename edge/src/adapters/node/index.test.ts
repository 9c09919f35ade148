import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorResponse, IngestResponse } from '@pulse/contract';
import { createHttpIngestSink } from '../../sinks/http-ingest-sink';
import { keyConfigs, nativeEvent } from '../../../test/support/fixtures';
import { startVerifyingIngest, type VerifyingIngest } from '../../../test/support/verifying-ingest';
import { batchExample, SPEC_WRITE_KEY } from '../../../test/support/segment-spec-examples';
import { startRecordingServer } from '../../../test/support/recording-server';
import { createFileConfigStore, startNodeEdge, type NodeEdge } from '.';

const secret = 'node-e2e-secret';
let ingest: VerifyingIngest;
let edge: NodeEdge;
let dir: string;
let configPath: string;
let clock = 0;

async function writeConfig(overrides: Record<string, unknown> = {}) {
  const base = keyConfigs();
  await writeFile(
    configPath,
    JSON.stringify({
      ...base,
      [SPEC_WRITE_KEY]: { ...base['pk_test_open'], customer_id: 'cust_segment' },
      ...overrides,
    }),
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pulse-edge-'));
  configPath = join(dir, 'keys.json');
  await writeConfig();
  ingest = await startVerifyingIngest(secret);
  edge = await startNodeEdge({
    config: createFileConfigStore(configPath, { ttlMs: 1_000, now: () => clock }),
    sink: createHttpIngestSink({ url: ingest.url, secret }),
    ipSaltSecret: 'salt-secret',
  });
});

afterAll(async () => {
  await edge.close();
  await ingest.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the Node edge over real HTTP', () => {
  it('takes an SDK beacon (text/plain, ?key=) from an allowed origin and acknowledges after ingest verified it', async () => {
    const events = [nativeEvent(), nativeEvent({ event_type: 'click', event_name: 'cta' })];
    const res = await fetch(`${edge.url}/v1/events?key=pk_test_open`, {
      method: 'POST',
      headers: {
        'content-type': 'text/plain;charset=UTF-8',
        origin: 'https://shop.example',
        'user-agent': 'E2E/1.0',
      },
      body: JSON.stringify({ sent_at: new Date().toISOString(), events }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(await res.json()).toEqual({ accepted: 2, rejected: [] } satisfies IngestResponse);
    const received = ingest.batches.at(-1)!;
    expect(received.customer_id).toBe('cust_open');
    expect(received.events.map((e) => e.event_id)).toEqual(events.map((e) => e.event_id));
    expect(received.events[0]!.context.user_agent).toBe('E2E/1.0');
    // The socket address is hashed; the raw address is nowhere in what ingest got.
    expect(received.events[0]!.context.ip).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(received)).not.toContain('127.0.0.1');
  });

  it('takes a Segment batch with Basic auth and dead-letters its invalid messages through ingest', async () => {
    const { writeKey: _key, ...body } = batchExample;
    const res = await fetch(`${edge.url}/v1/batch`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${btoa(`${SPEC_WRITE_KEY}:`)}`,
      },
      body: JSON.stringify(body),
    });
    const answer = (await res.json()) as IngestResponse;
    expect([res.status, answer.accepted, answer.rejected.length]).toEqual([200, 2, 2]);
    const received = ingest.batches.at(-1)!;
    expect([received.events.length, received.dead_letters.length]).toEqual([2, 2]);
  });

  it('answers 503 with Retry-After while ingest fails, and 200 once it is back', async () => {
    ingest.failWith = 500;
    const body = JSON.stringify({ events: [nativeEvent()] });
    const init = { method: 'POST', headers: { 'content-type': 'text/plain' }, body };
    const failed = await fetch(`${edge.url}/v1/events?key=pk_test_open`, init);
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('5');
    expect(((await failed.json()) as ErrorResponse).error.code).toBe('unavailable');
    ingest.failWith = undefined;
    const retried = await fetch(`${edge.url}/v1/events?key=pk_test_open`, init);
    expect(retried.status).toBe(200);
  });

  it('rate-limits in process with Retry-After', async () => {
    const send = () =>
      fetch(`${edge.url}/v1/events?key=pk_test_tight`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ events: [nativeEvent()] }),
      });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await send()).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it('picks up an edited config file without a restart', async () => {
    const send = () =>
      fetch(`${edge.url}/v1/events?key=pk_new_key`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ events: [nativeEvent()] }),
      });
    expect((await send()).status).toBe(401);
    await writeConfig({ pk_new_key: { ...keyConfigs()['pk_test_open'], customer_id: 'cust_new' } });
    clock += 1_000;
    expect((await send()).status).toBe(200);
    expect(ingest.batches.at(-1)!.customer_id).toBe('cust_new');
    await writeFile(configPath, '{ not json');
    clock += 1_000;
    const broken = await send();
    expect(broken.status).toBe(503);
    expect(broken.headers.get('retry-after')).toBe('30');
    await writeConfig();
    clock += 1_000;
  });

  it('moves a rollout customer onto Pulse and back with one edit of the migration stage', async () => {
    // The legacy pipeline is outside Pulse: a recording double.
    const legacy = await startRecordingServer(() => ({ status: 200, body: '{"legacy":"ok"}' }));
    try {
      const rollout = {
        ...keyConfigs()['pk_test_open'],
        customer_id: 'cust_rollout',
        routing: 'rollout',
        legacy_url: legacy.url,
      };
      const send = () =>
        fetch(`${edge.url}/v1/events?key=pk_rollout`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain' },
          body: JSON.stringify({ events: [nativeEvent()] }),
        });
      const pulseBatches = () =>
        ingest.batches.filter((batch) => batch.customer_id === 'cust_rollout').length;

      await writeConfig({ pk_rollout: rollout, $migration: { percent: 100 } });
      clock += 1_000;
      expect((await send()).status).toBe(200);
      expect([pulseBatches(), legacy.requests.length]).toEqual([1, 0]);

      // One-click rollback: legacy is primary again; Pulse keeps a shadow copy.
      await writeConfig({ pk_rollout: rollout, $migration: { percent: 100, rollback: true } });
      clock += 1_000;
      const rolledBack = await send();
      expect(await rolledBack.json()).toEqual({ legacy: 'ok' });
      expect([pulseBatches(), legacy.requests.length]).toEqual([2, 1]);
    } finally {
      await legacy.close();
      await writeConfig();
      clock += 1_000;
    }
  });
});
