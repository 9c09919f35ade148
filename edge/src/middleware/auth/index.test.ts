import { describe, expect, it } from 'vitest';
import type { ErrorResponse } from '@pulse/contract';
import { createTestEdge } from '../../../test/support/test-app';
import { KEYS, nativeEvent } from '../../../test/support/fixtures';

const batch = () => ({ events: [nativeEvent()] });

describe('write key authentication', () => {
  it('accepts the key from Basic auth, X-Pulse-Key, ?key= and writeKey in the body', async () => {
    const edge = createTestEdge();
    const answers = await Promise.all([
      edge.post('/v1/events', batch(), { authorization: `Basic ${btoa(`${KEYS.open}:`)}` }),
      edge.post('/v1/events', batch(), { 'x-pulse-key': KEYS.open }),
      edge.post(`/v1/events?key=${KEYS.open}`, batch()),
      edge.post('/v1/events', { ...batch(), writeKey: KEYS.open }),
    ]);
    expect(answers.map((res) => res.status)).toEqual([200, 200, 200, 200]);
    expect(edge.sink.events()).toHaveLength(4);
    expect(new Set(edge.sink.events().map((e) => e.customer_id))).toEqual(new Set(['cust_open']));
  });

  it('prefers the Authorization header over the query and the body', async () => {
    const edge = createTestEdge();
    const res = await edge.post(
      `/v1/events?key=pk_unknown`,
      { ...batch(), writeKey: 'pk_unknown_too' },
      { authorization: `Basic ${btoa(`${KEYS.tight}:`)}` },
    );
    expect(res.status).toBe(200);
    expect(edge.sink.events()[0]?.customer_id).toBe('cust_tight');
  });

  it('skips a Bearer token (Segment OAuth) and uses writeKey in the body', async () => {
    const edge = createTestEdge();
    const res = await edge.post(
      '/v1/events',
      { ...batch(), writeKey: KEYS.open },
      { authorization: 'Bearer abc.def' },
    );
    expect(res.status).toBe(200);
  });

  it('answers 401 missing_key without a key and invalid_key for an unknown or malformed one', async () => {
    const edge = createTestEdge();
    const cases: Array<[string, Record<string, string>, unknown, string]> = [
      ['/v1/events', {}, batch(), 'missing_key'],
      ['/v1/events?key=', { 'x-pulse-key': '  ' }, { ...batch(), writeKey: 7 }, 'missing_key'],
      ['/v1/events?key=pk_nobody', {}, batch(), 'invalid_key'],
      ['/v1/events', { authorization: 'Basic !!!not-base64' }, batch(), 'invalid_key'],
      ['/v1/events', { authorization: `Basic ${btoa(':')}` }, batch(), 'missing_key'],
      [`/v1/events?key=${'k'.repeat(500)}`, {}, batch(), 'invalid_key'],
      ['/v1/track', {}, { userId: 'u', event: 'e', writeKey: 'pk_nobody' }, 'invalid_key'],
    ];
    for (const [path, headers, body, code] of cases) {
      const res = await edge.post(path, body, headers);
      expect(res.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
      expect(((await res.json()) as ErrorResponse).error.code).toBe(code);
    }
    expect(edge.sink.batches).toHaveLength(0);
  });
});
