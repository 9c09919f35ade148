import { describe, expect, it } from 'vitest';
import type { ErrorResponse } from '@pulse/contract';
import { createTestEdge } from '../../../test/support/test-app';
import { KEYS, nativeEvent } from '../../../test/support/fixtures';
import { originAllowed } from './origin-allowed';

const path = `/v1/events?key=${KEYS.open}`;

describe('CORS', () => {
  it('answers a preflight with the methods and headers the endpoints take', async () => {
    const edge = createTestEdge();
    const res = await edge.app.request(path, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://shop.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, x-pulse-key',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-pulse-key');
    expect(res.headers.get('access-control-max-age')).toBe('86400');
    expect(res.headers.get('vary')).toContain('Origin');
  });

  it('refuses a preflight from an origin the key does not allow', async () => {
    const edge = createTestEdge();
    const res = await edge.app.request(path, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as ErrorResponse).error.code).toBe('origin_not_allowed');
  });

  it('accepts the SDK simple request (text/plain) from an allowed origin and lets it read the answer', async () => {
    const edge = createTestEdge();
    const res = await edge.post(
      path,
      { events: [nativeEvent()] },
      { origin: 'https://shop.example' },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(res.headers.get('access-control-expose-headers')).toContain('Retry-After');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('answers 403 origin_not_allowed, writes nothing, and still lets the SDK read why', async () => {
    const edge = createTestEdge();
    const res = await edge.post(
      path,
      { events: [nativeEvent()] },
      { origin: 'https://evil.example' },
    );
    expect(res.status).toBe(403);
    expect(((await res.json()) as ErrorResponse).error.code).toBe('origin_not_allowed');
    expect(res.headers.get('access-control-allow-origin')).toBe('https://evil.example');
    expect(edge.sink.batches).toHaveLength(0);
  });

  it('does not restrict requests without an Origin (servers, Segment server libraries)', async () => {
    const edge = createTestEdge();
    const res = await edge.post(path, { events: [nativeEvent()] });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('matches exact origins, subdomain patterns and *', () => {
    const list = ['https://shop.example', 'https://*.example.org'];
    expect(originAllowed(list, 'https://shop.example')).toBe(true);
    expect(originAllowed(list, 'http://shop.example')).toBe(false);
    expect(originAllowed(list, 'https://shop.example:8443')).toBe(false);
    expect(originAllowed(list, 'https://a.example.org')).toBe(true);
    expect(originAllowed(list, 'https://a.b.example.org')).toBe(true);
    expect(originAllowed(list, 'https://example.org')).toBe(false);
    expect(originAllowed(list, 'https://evilexample.org')).toBe(false);
    expect(originAllowed(list, 'null')).toBe(false);
    expect(originAllowed(['*'], 'null')).toBe(true);
    expect(originAllowed([], 'https://shop.example')).toBe(false);
  });
});
