import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ERRORS, type ApiErrorCode } from '../src/errors/api-error-codes';
import { MAX_API_BODY_BYTES } from '../src/ingest/ingest-app';
import { startApiBackend } from './segments-api-fixtures';

type Api = Awaited<ReturnType<typeof startApiBackend>>;

let api: Api;
beforeAll(async () => {
  api = await startApiBackend();
});
afterAll(async () => {
  await api?.stop();
});

/** A raw request to the backend, so each case sets exactly the headers it is about. */
const send = (path: string, init: RequestInit = {}) => fetch(`${api.backend.url}${path}`, init);
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const json = { 'content-type': 'application/json' };

/** Requests each REST API refuses, and the code each answers with. */
const refusals: Array<[string, () => Promise<Response>, ApiErrorCode]> = [
  ['segments without a key', () => send('/v1/segments'), 'missing_key'],
  [
    'profiles with an unknown key',
    () => send('/v1/profiles/v1', { headers: bearer('sk_x') }),
    'invalid_key',
  ],
  ['triggers without a key', () => send('/v1/triggers'), 'missing_key'],
  ['an unknown segment', () => send('/v1/segments/nope', { headers: bearer('sk_a') }), 'not_found'],
  ['an unknown profile', () => send('/v1/profiles/nope', { headers: bearer('sk_a') }), 'not_found'],
  ['an unknown trigger', () => send('/v1/triggers/nope', { headers: bearer('sk_a') }), 'not_found'],
  [
    'a segment body that is not JSON',
    () =>
      send('/v1/segments', {
        method: 'POST',
        headers: { ...bearer('sk_a'), ...json },
        body: '{nope',
      }),
    'invalid_json',
  ],
  [
    'a trigger body that is not JSON',
    () =>
      send('/v1/triggers', {
        method: 'POST',
        headers: { ...bearer('sk_a'), ...json },
        body: '{nope',
      }),
    'invalid_json',
  ],
  [
    'a segment body that is not declared JSON',
    () => send('/v1/segments', { method: 'POST', headers: bearer('sk_a'), body: '{}' }),
    'unsupported_media_type',
  ],
  [
    'a segment that breaks a rule',
    () =>
      send('/v1/segments', {
        method: 'POST',
        headers: { ...bearer('sk_a'), ...json },
        body: JSON.stringify({ id: 'no spaces' }),
      }),
    'invalid_segment',
  ],
  [
    'a member cursor this API did not make',
    () => send('/v1/segments/x/members?cursor=%21', { headers: bearer('sk_a') }),
    'invalid_request',
  ],
  [
    'a delivery page limit out of range',
    () => send('/v1/triggers/x/deliveries?limit=0', { headers: bearer('sk_a') }),
    'invalid_limit',
  ],
  [
    'a segment body over the API limit',
    () =>
      send('/v1/segments', {
        method: 'POST',
        headers: { ...bearer('sk_a'), ...json },
        body: JSON.stringify({ id: 'big', name: 'x'.repeat(MAX_API_BODY_BYTES) }),
      }),
    'payload_too_large',
  ],
  [
    'decide without the edge signature',
    () => send('/v1/decide?customer_id=a&visitor_id=v'),
    'invalid_signature',
  ],
  [
    'ingest without the edge signature',
    () => send('/internal/ingest', { method: 'POST', headers: json, body: '{}' }),
    'invalid_signature',
  ],
  ['a path no API serves', () => send('/v1/nothing', { headers: bearer('sk_a') }), 'not_found'],
];

describe('one error style for the backend APIs', () => {
  it.each(refusals)(
    'answers %s with { error: { code, message } } and the status of the one error table',
    async (_what, request, code) => {
      const res = await request();
      const body = (await res.json()) as { error: Record<string, unknown> };
      expect(body.error.code).toBe(code);
      expect(res.status).toBe(API_ERRORS[code].status);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(typeof body.error.message).toBe('string');
      expect(Object.keys(body)).toEqual(['error']);
      expect(
        Object.keys(body.error).filter((k) => !['code', 'message', 'issues'].includes(k)),
      ).toEqual([]);
    },
  );

  it('names the scheme it accepts on every 401 for a key, REST and GraphQL alike', async () => {
    for (const path of ['/v1/segments', '/v1/profiles/v1', '/v1/triggers', '/graphql']) {
      const res = await send(path);
      expect(res.status, path).toBe(401);
      expect(res.headers.get('www-authenticate'), path).toBe('Bearer realm="pulse"');
    }
  });

  it('gives GraphQL errors the GraphQL name of a code of the same table', async () => {
    const res = await send('/graphql', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ query: '{ liveVisitors }' }),
    });
    expect(res.status).toBe(API_ERRORS.missing_key.status);
    const body = (await res.json()) as { errors: Array<{ extensions: { code: string } }> };
    expect(body.errors[0]?.extensions.code).toBe(API_ERRORS.missing_key.graphql);
  });
});
