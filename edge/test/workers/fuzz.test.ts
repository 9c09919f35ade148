import { SELF, env } from 'cloudflare:test';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ErrorResponse, IngestResponse } from '@pulse/contract';

const PATHS = ['/v1/events', '/v1/batch', '/v1/track', '/v1/identify', '/v1/alias', '/v1/group'];

describe('fuzzing the edge inside workerd', () => {
  it('answers JSON and never 5xx for any key (KV names included), body and content type', async () => {
    await env.KEYS.put(
      'pk_fuzz',
      JSON.stringify({
        customer_id: 'cust_fuzz',
        allowed_origins: ['*'],
        rate: { per_second: 100_000, burst: 100_000 },
        routing: 'new',
      }),
    );
    const key = fc.oneof(
      fc.constantFrom('pk_fuzz', '.', '..', 'a/b', '%2e', 'ключ', 'x'.repeat(600), ' '),
      fc.string({ maxLength: 30 }),
    );
    const body = fc.oneof(
      fc.string({ maxLength: 100 }),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'),
      fc
        .array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 })
        .map((events) => JSON.stringify({ events, batch: events })),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...PATHS),
        key,
        body,
        fc.constantFrom('text/plain', 'application/json', 'text/csv'),
        async (path, k, text, type) => {
          const res = await SELF.fetch(`https://edge.test${path}?key=${encodeURIComponent(k)}`, {
            method: 'POST',
            headers: { 'content-type': type },
            body: text,
          });
          expect(res.status).toBeLessThan(500);
          expect(res.headers.get('content-type')).toMatch(/^application\/json/);
          const answer = (await res.json()) as Partial<IngestResponse & ErrorResponse>;
          if (res.status === 200) expect(typeof answer.accepted).toBe('number');
          else expect(typeof answer.error?.code).toBe('string');
        },
      ),
      { numRuns: 150 },
    );
  });
});
