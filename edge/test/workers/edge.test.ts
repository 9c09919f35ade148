import { SELF, env } from 'cloudflare:test';
import { beforeEach, describe, expect, inject, it } from 'vitest';
import type { ErrorResponse, IngestResponse, SinkBatch } from '@pulse/contract';
import type { KeyConfig } from '../../src/config/key-config';
import type { RateLimiterObject } from '../../src/adapters/workers/rate-limiter-object';

const control = inject('ingestControlUrl');
const IP = '198.51.100.77';
let sequence = 0;

/** A key of its own for each test: the worker caches key config for a few seconds. */
async function newKey(config: Partial<KeyConfig> = {}): Promise<{ key: string; customer: string }> {
  sequence++;
  const key = `pk_workers_${sequence}_${Date.now()}`;
  const customer = `cust_workers_${sequence}_${Date.now()}`;
  const value: KeyConfig = {
    customer_id: customer,
    allowed_origins: ['https://shop.example'],
    rate: { per_second: 1000, burst: 1000 },
    routing: 'new',
    ...config,
  };
  await env.KEYS.put(key, JSON.stringify(value));
  return { key, customer };
}

function event(id: string) {
  return {
    event_id: id,
    visitor_id: 'v1',
    event_type: 'page_view',
    event_name: 'home',
    properties: { url: '/' },
    timestamp: new Date().toISOString(),
  };
}

function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return SELF.fetch(`https://edge.test${path}`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain', ...headers },
    body: JSON.stringify(body),
  });
}

async function recorded(): Promise<SinkBatch[]> {
  const res = await fetch(`${control}/recorded`);
  return ((await res.json()) as { batches: SinkBatch[] }).batches;
}

beforeEach(async () => {
  await fetch(`${control}/up`, { method: 'POST' });
});

describe('the edge inside workerd', () => {
  it('authenticates through KV and forwards a valid batch, signed, to ingest before answering 200', async () => {
    const { key, customer } = await newKey();
    const ids = [`w-${crypto.randomUUID()}`, `w-${crypto.randomUUID()}`];
    const res = await post(
      `/v1/events?key=${key}`,
      { sent_at: new Date().toISOString(), events: ids.map(event) },
      {
        'cf-connecting-ip': IP,
        origin: 'https://shop.example',
      },
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: 2, rejected: [] } satisfies IngestResponse);
    // The ingest verified the signature (it records only verified batches) before the 200.
    const batch = (await recorded()).find((b) => b.customer_id === customer);
    expect(batch?.events.map((e) => e.event_id)).toEqual(ids);
    expect(batch?.events[0]?.context.ip).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(batch)).not.toContain(IP);
  });

  it('keeps receipts of an unload batch in the Durable Object, per customer, once ingest has it', async () => {
    const { key } = await newKey();
    const other = await newKey();
    const [left, normal] = [`u-${crypto.randomUUID()}`, `n-${crypto.randomUUID()}`];
    const sent = async (k: string, id: string, unload?: boolean) =>
      (
        await post(`/v1/events?key=${k}`, {
          sent_at: new Date().toISOString(),
          unload,
          events: [event(id)],
        })
      ).status;
    expect(await sent(key, left, true)).toBe(200);
    expect(await sent(key, normal)).toBe(200);
    const ask = async (k: string) => {
      const res = await post(`/v1/receipts?key=${k}`, { event_ids: [left, normal, 'never-sent'] });
      expect(res.status).toBe(200);
      return ((await res.json()) as { received: string[] }).received;
    };
    expect(await ask(key)).toEqual([left]);
    expect(await ask(other.key)).toEqual([]); // another customer knows nothing of it
  });

  it('answers 401 for a key KV does not know, and 503 for a key whose KV entry is broken', async () => {
    const unknown = await post('/v1/events?key=pk_nobody_here', { events: [event('x')] });
    expect(unknown.status).toBe(401);
    expect(((await unknown.json()) as ErrorResponse).error.code).toBe('invalid_key');
    await env.KEYS.put('pk_broken_entry', '{"customer_id": 5}');
    const broken = await post('/v1/events?key=pk_broken_entry', { events: [event('x')] });
    expect(broken.status).toBe(503);
    expect(broken.headers.get('retry-after')).toBe('30');
  });

  it('shares one token bucket per customer through the Durable Object: 429 after the burst', async () => {
    const { key, customer } = await newKey({ rate: { per_second: 0.01, burst: 3 } });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push(
        (await post(`/v1/events?key=${key}`, { events: [event(`rl-${i}-${crypto.randomUUID()}`)] }))
          .status,
      );
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await post(`/v1/events?key=${key}`, { events: [event('rl-x')] });
    expect(limited.headers.get('retry-after')).toBe('100');
    // The bucket lives in the object, not in the isolate: asking the object directly sees it spent.
    const namespace = env.RATE_LIMITER as DurableObjectNamespace<RateLimiterObject>;
    const stub = namespace.get(namespace.idFromName(customer));
    expect(await stub.take({ per_second: 0.01, burst: 3 }, 1)).toEqual({
      ok: false,
      retryAfterSeconds: 100,
    });
    const other = await newKey({ rate: { per_second: 0.01, burst: 3 } });
    expect(
      (await post(`/v1/events?key=${other.key}`, { events: [event('rl-other')] })).status,
    ).toBe(200);
  });

  it('answers CORS preflights and refuses origins the key does not allow', async () => {
    const { key } = await newKey();
    const preflight = await SELF.fetch(`https://edge.test/v1/events?key=${key}`, {
      method: 'OPTIONS',
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    const refused = await post(
      `/v1/events?key=${key}`,
      { events: [event('cors-x')] },
      { origin: 'https://evil.example' },
    );
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as ErrorResponse).error.code).toBe('origin_not_allowed');
  });

  it('answers 503 with Retry-After while ingest is down, and 200 once it is back', async () => {
    const { key, customer } = await newKey();
    await fetch(`${control}/down`, { method: 'POST' });
    const id = `down-${crypto.randomUUID()}`;
    const failed = await post(`/v1/events?key=${key}`, { events: [event(id)] });
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('5');
    expect(((await failed.json()) as ErrorResponse).error.code).toBe('unavailable');
    await fetch(`${control}/up`, { method: 'POST' });
    const retried = await post(`/v1/events?key=${key}`, { events: [event(id)] });
    expect(retried.status).toBe(200);
    expect((await recorded()).filter((b) => b.customer_id === customer)).toHaveLength(1);
  });

  it('never follows a redirect from ingest: the write fails and the edge answers 503', async () => {
    const { key, customer } = await newKey();
    await fetch(`${control}/redirect`, { method: 'POST' });
    const id = `redirected-${crypto.randomUUID()}`;
    const failed = await post(`/v1/events?key=${key}`, { events: [event(id)] });
    expect(failed.status).toBe(503);
    const state = (await (await fetch(`${control}/recorded`)).json()) as {
      batches: SinkBatch[];
      elsewhere: number;
    };
    expect(state.elsewhere).toBe(0);
    expect(state.batches.filter((b) => b.customer_id === customer)).toHaveLength(0);
  });

  it('takes a Segment batch with Basic auth and adds geo from request.cf', async () => {
    const { key, customer } = await newKey();
    const res = await SELF.fetch('https://edge.test/v1/batch', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${btoa(`${key}:`)}` },
      body: JSON.stringify({
        batch: [
          {
            type: 'track',
            messageId: `seg-${crypto.randomUUID()}`,
            userId: 'u1',
            event: 'Song Played',
            timestamp: new Date().toISOString(),
          },
          { type: 'track', userId: 'u1' },
        ],
      }),
      cf: { country: 'NL', city: 'Amsterdam' },
    } as RequestInit);
    const answer = (await res.json()) as IngestResponse;
    expect([res.status, answer.accepted, answer.rejected.length]).toEqual([200, 1, 1]);
    const batch = (await recorded()).find((b) => b.customer_id === customer);
    expect(batch?.events[0]?.event_name).toBe('Song Played');
    expect(batch?.dead_letters).toHaveLength(1);
    expect(batch?.events[0]?.context.geo).toMatchObject({ country: 'NL', city: 'Amsterdam' });
  });

  it('answers JSON errors for bad input, never a 5xx', async () => {
    const { key } = await newKey();
    const bad = [
      await SELF.fetch(`https://edge.test/v1/events?key=${key}`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: '{',
      }),
      await SELF.fetch(`https://edge.test/v1/events?key=${key}`, {
        method: 'POST',
        headers: { 'content-type': 'text/xml' },
        body: '{}',
      }),
      await SELF.fetch(`https://edge.test/v1/events?key=${'.'}`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: '{}',
      }),
      await SELF.fetch('https://edge.test/nope'),
    ];
    expect(bad.map((r) => r.status)).toEqual([400, 415, 401, 404]);
    for (const res of bad)
      expect(((await res.json()) as ErrorResponse).error.code).toBeTypeOf('string');
  });
});
