import { describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import type { SinkBatch } from '@pulse/contract';
import { createIngestApp, MAX_API_BODY_BYTES, MAX_INGEST_BYTES } from './ingest-app';

/** A body that streams `chunks` of `size` bytes with no Content-Length, counting what was read. */
function endlessBody(chunks: number, size: number) {
  let pulled = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled >= chunks) return controller.close();
      pulled++;
      controller.enqueue(new Uint8Array(size).fill(0x20));
    },
  });
  return { stream, pulled: () => pulled };
}

const written: SinkBatch[] = [];
const routes = new Hono().post('/v1/segments', async (c) =>
  c.json({ read: (await c.req.text()).length }),
);
const app = createIngestApp({
  secret: 'limits',
  sink: { write: async (batch) => void written.push(batch) },
  routes,
});

describe('backend ingest and API bodies', () => {
  it('refuses a declared body over the ingest limit before reading it or checking its signature', async () => {
    const res = await app.request('/internal/ingest', {
      method: 'POST',
      headers: {
        'content-length': String(MAX_INGEST_BYTES + 1),
        'content-type': 'application/json',
      },
      body: 'x'.repeat(MAX_INGEST_BYTES + 1),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      error: {
        code: 'payload_too_large',
        message: `body is over the limit of ${MAX_INGEST_BYTES} bytes`,
      },
    });
    expect(written).toEqual([]);
  });

  it('cuts a chunked body without Content-Length at the limit instead of reading it all', async () => {
    // 64 chunks of 64 KB is 4 MB: far past the limit, and it stops being read there.
    const body = endlessBody(64, 64 * 1024);
    const res = await app.request('/internal/ingest', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body.stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(body.pulled()).toBeLessThan(64);
  });

  it('bounds the query APIs’ bodies far lower, and lets a normal one through', async () => {
    const big = await app.request('/v1/segments', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'x', name: 'y'.repeat(MAX_API_BODY_BYTES) }),
    });
    expect(big.status).toBe(413);
    const small = await app.request('/v1/segments', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"id":"x"}',
    });
    expect(await small.json()).toEqual({ read: 10 });
  });

  it('answers an outage of a store 503 with Retry-After, never 500', async () => {
    const down = new Hono().get('/v1/thing', () => {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), {
        code: 'ECONNREFUSED',
      });
    });
    const logged: unknown[] = [];
    const withDown = createIngestApp({
      secret: 's',
      sink: { write: async () => undefined },
      routes: down,
      onSinkError: (error) => logged.push(error),
    });
    const res = await withDown.request('/v1/thing');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(logged).toHaveLength(1);
  });
});
