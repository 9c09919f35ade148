import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../backend/src/start-backend';
import type { NodeEdge } from '../../edge/src/adapters/node';
import { openKey, startEdgeAndBackend } from '../fixtures/edge-and-backend';
import { PRICING_FANS } from '../fixtures/processing';

/** Customer A holds data; B is another tenant with keys of its own. */
const PUBLIC = { a: 'pk_a', b: 'pk_b' };
const SECRETS = { a: 'sk_a', b: 'sk_b' };

type Call = { method: string; path: string; body?: unknown };

/**
 * Every endpoint × every wrong key: none, unknown, the other kind (public for secret and
 * back), and another customer's. The documented answer comes back (401 / 404 / the other
 * customer's own empty data), and nothing of customer A ever does.
 */
describe('tenant isolation', () => {
  let backend: Backend;
  let edge: NodeEdge;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    ({ backend, edge, stop } = await startEdgeAndBackend({
      keys: { [PUBLIC.a]: openKey('cust_a'), [PUBLIC.b]: openKey('cust_b') },
      apiKeys: { [SECRETS.a]: 'cust_a', [SECRETS.b]: 'cust_b' },
    }));
    await backend.store.putDefinition('cust_a', PRICING_FANS);
    // Customer A's visitor a-visitor views pricing three times: a member of pricing_fans.
    const now = new Date().toISOString();
    const events = Array.from({ length: 3 }, () => ({
      event_id: randomUUID(),
      visitor_id: 'a-visitor',
      event_type: 'page_view',
      event_name: 'pricing',
      properties: { path: '/pricing' },
      timestamp: now,
    }));
    const res = await fetch(`${edge.url}/v1/events?key=${PUBLIC.a}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sent_at: now, events }),
    });
    expect(res.status).toBe(200);
    await backend.processor.idle();
  });
  afterAll(() => stop?.());

  const send = async (
    base: string,
    call: Call,
    key: string | null,
    keyStyle: 'bearer' | 'query',
  ) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    let path = call.path;
    if (key && keyStyle === 'bearer') headers.authorization = `Bearer ${key}`;
    if (key && keyStyle === 'query') path += `${path.includes('?') ? '&' : '?'}key=${key}`;
    const res = await fetch(`${base}${path}`, {
      method: call.method,
      headers,
      body: call.body === undefined ? undefined : JSON.stringify(call.body),
    });
    const text = await res.text();
    return { status: res.status, text };
  };

  const BACKEND_CALLS: Call[] = [
    { method: 'GET', path: '/v1/segments' },
    { method: 'GET', path: '/v1/segments/pricing_fans' },
    { method: 'GET', path: '/v1/segments/pricing_fans/members' },
    { method: 'PUT', path: '/v1/segments/pricing_fans', body: PRICING_FANS },
    { method: 'DELETE', path: '/v1/segments/pricing_fans' },
    { method: 'GET', path: '/v1/profiles/a-visitor' },
    { method: 'DELETE', path: '/v1/profiles/a-visitor' },
    { method: 'GET', path: '/v1/triggers' },
    {
      method: 'POST',
      path: '/graphql',
      body: { query: '{ recentEvents(limit: 10) { visitorId } }' },
    },
  ];

  it('refuses every backend API without a secret key of its own, and never shows A to B', async () => {
    for (const call of BACKEND_CALLS) {
      const what = `${call.method} ${call.path}`;
      for (const key of [null, 'sk_nobody', PUBLIC.a]) {
        const res = await send(backend.url!, call, key, 'bearer');
        expect(res.status, `${what} with ${key ?? 'no key'}`).toBe(401);
        expect(res.text).not.toContain('a-visitor');
      }
      // B's own key: its own (empty) world, never A's segment, profile or events.
      const asB = await send(backend.url!, call, SECRETS.b, 'bearer');
      expect([200, 404], `${what} as B`).toContain(asB.status);
      // A 404 names what B asked for; an answer never holds A's data.
      if (asB.status === 200) expect(asB.text, `${what} as B`).not.toContain('a-visitor');
      else expect(JSON.parse(asB.text).error.code).toBe('not_found');
    }
    // A's data is still all there: B's deletes touched nothing of A's.
    const asA = await send(backend.url!, BACKEND_CALLS[2]!, SECRETS.a, 'bearer');
    expect(asA.text).toContain('a-visitor');
  });

  it('refuses the internal endpoints to anyone but the edge', async () => {
    const ingest = await send(
      backend.url!,
      {
        method: 'POST',
        path: '/internal/ingest',
        body: { customer_id: 'cust_a', events: [], dead_letters: [] },
      },
      SECRETS.a,
      'bearer',
    );
    expect(ingest.status).toBe(401);
    const decide = await send(
      backend.url!,
      { method: 'GET', path: '/v1/decide?customer_id=cust_a&visitor_id=a-visitor' },
      SECRETS.a,
      'bearer',
    );
    expect(decide.status).toBe(401);
    expect(decide.text).not.toContain('pricing_fans');
  });

  it('answers the edge without a write key 401, and another customer’s key about that customer only', async () => {
    const decideA: Call = { method: 'GET', path: '/v1/decide?visitor_id=a-visitor' };
    expect((await send(edge.url, decideA, PUBLIC.a, 'query')).text).toContain('pricing_fans');
    for (const key of [null, 'pk_nobody', SECRETS.a]) {
      const res = await send(edge.url, decideA, key, 'query');
      expect(res.status, `decide with ${key ?? 'no key'}`).toBe(401);
    }
    const asB = await send(edge.url, decideA, PUBLIC.b, 'query');
    expect(asB.status).toBe(200);
    expect(JSON.parse(asB.text)).toMatchObject({ segments: [], actions: [] });
    const events: Call = { method: 'POST', path: '/v1/events', body: { events: [] } };
    const receipts: Call = { method: 'POST', path: '/v1/receipts', body: { event_ids: ['x'] } };
    for (const call of [events, receipts]) {
      for (const key of [null, 'pk_nobody', SECRETS.a]) {
        expect((await send(edge.url, call, key, 'query')).status).toBe(401);
      }
    }
  });
});
