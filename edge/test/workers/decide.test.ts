import { SELF, env } from 'cloudflare:test';
import { beforeEach, describe, expect, inject, it } from 'vitest';
import type { DecideResponse, ErrorResponse } from '@pulse/contract';
import type { KeyConfig } from '../../src/config/key-config';

const control = inject('ingestControlUrl');

/** A key of its own: the worker caches key config for a few seconds. */
async function newKey(): Promise<{ key: string; customer: string }> {
  const id = crypto.randomUUID();
  const value: KeyConfig = {
    customer_id: `cust_decide_${id}`,
    allowed_origins: ['https://shop.example'],
    rate: { per_second: 1000, burst: 1000 },
    routing: 'new',
  };
  await env.KEYS.put(`pk_decide_${id}`, JSON.stringify(value));
  return { key: `pk_decide_${id}`, customer: value.customer_id };
}

beforeEach(async () => {
  await fetch(`${control}/up`, { method: 'POST' });
});

describe('GET /v1/decide inside workerd', () => {
  it("asks the backend beside ingest, signed, for the key's customer", async () => {
    const { key, customer } = await newKey();
    const res = await SELF.fetch(`https://edge.test/v1/decide?key=${key}&visitor_id=v%201`, {
      headers: { origin: 'https://shop.example' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(await res.json()).toEqual({
      visitor_id: 'v 1',
      id: 'v 1',
      segments: [`seg-of-${customer}`],
      actions: [],
    } satisfies DecideResponse);
  });

  it('answers 503 with Retry-After while the backend is down', async () => {
    const { key } = await newKey();
    await fetch(`${control}/down`, { method: 'POST' });
    const res = await SELF.fetch(`https://edge.test/v1/decide?key=${key}&visitor_id=v1`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(((await res.json()) as ErrorResponse).error.code).toBe('unavailable');
  });
});
