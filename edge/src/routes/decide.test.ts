import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  backendDecidePath,
  SIGNATURE_HEADER,
  userHashOf,
  verifyBody,
  type DecideResponse,
  type ErrorResponse,
} from '@pulse/contract';
import { startRecordingServer, type RecordingServer } from '../../test/support/recording-server';
import { KEYS } from '../../test/support/fixtures';
import { createTestEdge } from '../../test/support/test-app';
import { createHttpDecideBackend, decideBaseUrl } from './decide-backend';

const SECRET = 'decide-test-secret';

/**
 * A stand-in for the backend's decide: it checks the edge's signature the way the backend
 * does (over `backendDecidePath` of the parameters it received) and answers for the customer
 * and visitor it was asked about.
 */
let backend: RecordingServer;
let answer: 'ok' | 'error' | 'garbage' | 'redirect' = 'ok';
/** Where the stand-in redirects to in the `redirect` mode: it answers any decide for anyone. */
let elsewhere: RecordingServer;

beforeAll(async () => {
  elsewhere = await startRecordingServer(() => ({
    status: 200,
    body: JSON.stringify({ visitor_id: 'v1', id: 'v1', segments: ['planted'], actions: [] }),
    contentType: 'application/json',
  }));
  backend = await startRecordingServer(async (request) => {
    const url = new URL(request.url, 'http://backend');
    const customer = url.searchParams.get('customer_id') ?? '';
    const visitor = url.searchParams.get('visitor_id') ?? '';
    const user = url.searchParams.get('user_id') ?? undefined;
    const header = request.headers[SIGNATURE_HEADER];
    const check = await verifyBody(
      SECRET,
      typeof header === 'string' ? header : null,
      backendDecidePath(customer, visitor, user),
    );
    if (url.pathname !== '/v1/decide' || !check.ok) return { status: 401, body: '{}' };
    if (answer === 'error') return { status: 500, body: 'boom' };
    if (answer === 'garbage') return { status: 200, body: '<html>' };
    if (answer === 'redirect') {
      return { status: 307, headers: { location: `${elsewhere.url}${request.url}` } };
    }
    const body: DecideResponse = {
      visitor_id: visitor,
      id: user ?? visitor,
      segments: [`seg-of-${customer}`],
      actions: [{ trigger_id: 't1', name: 'show_banner', payload: { customer } }],
    };
    return { status: 200, body: JSON.stringify(body), contentType: 'application/json' };
  });
});
afterAll(() => Promise.all([backend.close(), elsewhere.close()]));

const edgeWith = (baseUrl = backend.url) =>
  createTestEdge({
    deps: { decide: createHttpDecideBackend({ baseUrl, secret: SECRET, timeoutMs: 2_000 }) },
  });
const get = (edge: ReturnType<typeof createTestEdge>, path: string, headers = {}) =>
  edge.app.request(path, { headers });
const errorOf = async (res: Response) => ((await res.json()) as ErrorResponse).error;

describe('GET /v1/decide', () => {
  it("answers the backend's decision for the key's customer, asked with a signed call", async () => {
    answer = 'ok';
    const edge = edgeWith();
    const visitor = "v 1/ü&='x'";
    const res = await get(
      edge,
      `/v1/decide?key=${KEYS.open}&visitor_id=${encodeURIComponent(visitor)}`,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({
      visitor_id: visitor,
      id: visitor,
      segments: ['seg-of-cust_open'],
      actions: [{ trigger_id: 't1', name: 'show_banner', payload: { customer: 'cust_open' } }],
    });
    // The customer comes from the key; one named in the request is not forwarded.
    const forged = await get(
      edge,
      `/v1/decide?key=${KEYS.open}&visitor_id=v2&customer_id=cust_tight`,
    );
    expect(((await forged.json()) as DecideResponse).segments).toEqual(['seg-of-cust_open']);
    expect(backend.requests.at(-1)?.url).toBe(backendDecidePath('cust_open', 'v2'));
  });

  it('takes the key from a header too, and lets allowed origins read the answer', async () => {
    answer = 'ok';
    const edge = edgeWith();
    const res = await get(edge, '/v1/decide?visitor_id=v1', {
      'x-pulse-key': KEYS.open,
      origin: 'https://shop.example',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    const refused = await get(edge, `/v1/decide?key=${KEYS.open}&visitor_id=v1`, {
      origin: 'https://evil.example',
    });
    expect(refused.status).toBe(403);
    expect((await errorOf(refused)).code).toBe('origin_not_allowed');
    const preflight = await edge.app.request(`/v1/decide?key=${KEYS.open}`, {
      method: 'OPTIONS',
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'GET' },
    });
    expect(preflight.status).toBe(204);
  });

  it('refuses a missing or unknown key and a missing visitor id with JSON errors', async () => {
    const edge = edgeWith();
    const cases: Array<[string, number, string]> = [
      ['/v1/decide?visitor_id=v1', 401, 'missing_key'],
      ['/v1/decide?key=pk_nope&visitor_id=v1', 401, 'invalid_key'],
      [`/v1/decide?key=${KEYS.open}`, 400, 'invalid_request'],
      [`/v1/decide?key=${KEYS.open}&visitor_id=${'v'.repeat(201)}`, 400, 'invalid_request'],
    ];
    const before = backend.requests.length;
    for (const [path, status, code] of cases) {
      const res = await get(edge, path);
      expect(res.status).toBe(status);
      expect((await errorOf(res)).code).toBe(code);
    }
    expect(backend.requests.length).toBe(before);
  });

  it('counts against the customer rate limit', async () => {
    answer = 'ok';
    const edge = edgeWith();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await get(edge, `/v1/decide?key=${KEYS.tight}&visitor_id=v1`)).status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it('answers 503 with Retry-After when the backend is down, failing or garbled', async () => {
    const closed = await startRecordingServer();
    const downUrl = closed.url;
    await closed.close();
    const down = await get(edgeWith(downUrl), `/v1/decide?key=${KEYS.open}&visitor_id=v1`);
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('5');
    expect((await errorOf(down)).message).toMatch(/unreachable/);

    for (const mode of ['error', 'garbage'] as const) {
      answer = mode;
      const res = await get(edgeWith(), `/v1/decide?key=${KEYS.open}&visitor_id=v1`);
      expect(res.status).toBe(503);
      expect((await errorOf(res)).code).toBe('unavailable');
    }
    const wrongSecret = createTestEdge({
      deps: { decide: createHttpDecideBackend({ baseUrl: backend.url, secret: 'other' }) },
    });
    answer = 'ok';
    expect((await get(wrongSecret, `/v1/decide?key=${KEYS.open}&visitor_id=v1`)).status).toBe(503);
    const unconfigured = createTestEdge();
    const res = await get(unconfigured, `/v1/decide?key=${KEYS.open}&visitor_id=v1`);
    expect(res.status).toBe(503);
    expect((await errorOf(res)).message).toMatch(/not configured/);
  });

  it('never follows a redirect: the signed call goes to the backend only', async () => {
    answer = 'redirect';
    try {
      const res = await get(edgeWith(), `/v1/decide?key=${KEYS.open}&visitor_id=v1`);
      expect(res.status).toBe(503);
      expect((await errorOf(res)).message).toMatch(/answered 307/);
      expect(elsewhere.requests).toEqual([]);
    } finally {
      answer = 'ok';
    }
  });

  it('finds the backend beside ingest when only the ingest URL is known', () => {
    expect(decideBaseUrl('http://127.0.0.1:8788/internal/ingest')).toBe('http://127.0.0.1:8788');
  });

  describe('identity verification', () => {
    const IDENTITY_SECRET = 'customer-identity-secret';
    const provingEdge = () =>
      createTestEdge({
        keys: {
          pk_proving: {
            customer_id: 'cust_proving',
            allowed_origins: ['*'],
            rate: { per_second: 100, burst: 100 },
            routing: 'new',
            identity_secret: IDENTITY_SECRET,
          },
        },
        deps: {
          decide: createHttpDecideBackend({
            baseUrl: backend.url,
            secret: SECRET,
            timeoutMs: 2_000,
          }),
        },
      });

    it('asks about a user only with a user_hash made with the key’s identity secret', async () => {
      answer = 'ok';
      const edge = provingEdge();
      const hash = await userHashOf(IDENTITY_SECRET, 'user-42');
      const proven = await get(
        edge,
        `/v1/decide?key=pk_proving&visitor_id=v1&user_id=user-42&user_hash=${hash}`,
      );
      expect(proven.status).toBe(200);
      expect(((await proven.json()) as DecideResponse).id).toBe('user-42');
      // Without a proof the backend is asked about the visitor alone.
      const anonymous = await get(edge, '/v1/decide?key=pk_proving&visitor_id=v1');
      expect(((await anonymous.json()) as DecideResponse).id).toBe('v1');
    });

    it('refuses a wrong or partial proof, and a proof for a key without an identity secret', async () => {
      const edge = provingEdge();
      const other = await userHashOf(IDENTITY_SECRET, 'user-41');
      const forged = await get(
        edge,
        `/v1/decide?key=pk_proving&visitor_id=v1&user_id=user-42&user_hash=${other}`,
      );
      expect(forged.status).toBe(403);
      expect((await errorOf(forged)).code).toBe('invalid_proof');
      const partial = await get(edge, '/v1/decide?key=pk_proving&visitor_id=v1&user_id=user-42');
      expect(partial.status).toBe(400);
      const noSecret = await get(
        edgeWith(),
        `/v1/decide?key=${KEYS.open}&visitor_id=v1&user_id=user-42&user_hash=${other}`,
      );
      expect(noSecret.status).toBe(400);
      expect((await errorOf(noSecret)).message).toMatch(/identity verification is not set up/);
    });
  });
});
