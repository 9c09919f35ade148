import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS, type DecideResponse, type IngestResponse } from '@pulse/contract';
import type { Backend } from '../../backend/src/start-backend';
import type { NodeEdge } from '../../edge/src/adapters/node';
import { openKey, runnableModes, startEdgeAndBackend } from '../fixtures/edge-and-backend';
import { PRICING_FANS } from '../fixtures/processing';
import { waitUntil } from '../services/free-port';

const KEYS = {
  pk_attacker: openKey('cust_attacker'),
  pk_victim: openKey('cust_victim'),
  pk_tight: { ...openKey('cust_tight'), rate: { per_second: 1, burst: 1 } },
};

const MODES = await runnableModes(['embedded', 'kafka-redis', 'kafka-redis-cluster']);

/** Bounded wait for what the processor stores after the edge's 200 (at once when embedded). */
const stored = (what: string, check: () => Promise<boolean>) => waitUntil(what, check, 30_000);

/**
 * What one request with a public write key can send, through the Node edge into the backend
 * in each of its modes (embedded chdb + LMDB as `npm run dev` runs it; Kafka + Redis; Kafka +
 * a Redis Cluster): each case is answered 2xx or a structured 4xx, never 5xx, the valid events
 * beside a bad one are stored, and after each case another customer's ordinary event is still
 * stored: nothing a client sends stops the pipeline.
 */
describe.each(MODES)('hostile input through the edge into the backend (%s)', (mode) => {
  let backend: Backend;
  let edge: NodeEdge;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    ({ backend, edge, stop } = await startEdgeAndBackend({ keys: KEYS, mode }));
    await backend.store.putDefinition('cust_attacker', PRICING_FANS);
  });
  afterAll(() => stop?.());

  const now = () => new Date().toISOString();
  const event = (fields: Record<string, unknown> = {}) => ({
    event_id: randomUUID(),
    visitor_id: 'v1',
    event_type: 'custom',
    event_name: 'x',
    timestamp: now(),
    ...fields,
  });
  const post = async (key: string, path: string, body: unknown) => {
    const res = await fetch(`${edge.url}${path}?key=${key}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body == 'string' ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    expect(res.status, `${path} answered ${res.status}`).toBeLessThan(500);
    return { status: res.status, body: (await res.json()) as IngestResponse & { error?: unknown } };
  };
  const native = (key: string, events: unknown[], sentAt = now()) =>
    post(key, '/v1/events', { sent_at: sentAt, events });
  /** The other customer's next event is stored: the pipeline is not stopped for anyone. */
  const victimStillServed = async () => {
    const before = await backend.warehouse.eventCount('cust_victim');
    expect((await native('pk_victim', [event()])).status).toBe(200);
    await stored(
      'the other customer’s event stored',
      async () => (await backend.warehouse.eventCount('cust_victim')) === before + 1,
    );
  };

  it('stores a history import of 101 days, natively and from a Segment batch', async () => {
    const day = 86_400_000;
    const start = Date.UTC(2025, 0, 1, 12);
    const times = Array.from({ length: 101 }, (_, i) => new Date(start + i * day).toISOString());
    const nativeRes = await native(
      'pk_attacker',
      times.map((timestamp) => event({ timestamp, visitor_id: 'importer' })),
    );
    expect(nativeRes.body).toEqual({ accepted: 101, rejected: [] });
    const segmentRes = await post('pk_attacker', '/v1/batch', {
      batch: times.map((timestamp) => ({
        type: 'track',
        event: 'imported',
        messageId: randomUUID(),
        anonymousId: 'segment-importer',
        timestamp,
      })),
    });
    expect(segmentRes.body).toEqual({ accepted: 101, rejected: [] });
    await stored(
      'the 202 imported events stored',
      async () => (await backend.warehouse.eventCount('cust_attacker')) === 202,
    );
    await victimStillServed();
  });

  it('rejects an event nested 4,500 levels deep alone and stores its neighbour', async () => {
    let deep = '1';
    for (let i = 0; i < 4500; i++) deep = `{"a":${deep}}`;
    const good = event();
    const bad = JSON.stringify(event()).replace(/}$/, `,"properties":${deep}}`);
    const res = await post(
      'pk_attacker',
      '/v1/events',
      `{"sent_at":"${now()}","events":[${JSON.stringify(good)},${bad}]}`,
    );
    expect(res.body.accepted).toBe(1);
    expect(res.body.rejected[0]?.message).toBe(
      `properties or context nest deeper than ${LIMITS.maxJsonDepth} levels`,
    );
    await victimStillServed();
  });

  it('keeps ids shaped like keys apart and refuses control characters', async () => {
    const identify = (visitor_id: string, user_id: string) =>
      event({ event_type: 'identify', event_name: 'identify', visitor_id, user_id });
    expect((await native('pk_attacker', [identify('v-owner', 'u1')])).body.accepted).toBe(1);
    // A visitor named like u1's identity set logs in as someone else.
    expect((await native('pk_attacker', [identify('user:u1', 'u2')])).body.accepted).toBe(1);
    await stored('both identifies processed', async () => {
      const [u1, u2] = await backend.store.sources([
        { customer: 'cust_attacker', id: 'u1' },
        { customer: 'cust_attacker', id: 'u2' },
      ]);
      return u1?.length === 1 && u2?.length === 1;
    });
    expect(await backend.store.sources([{ customer: 'cust_attacker', id: 'u1' }])).toEqual([
      ['v-owner'],
    ]);
    const controls = await native('pk_attacker', [
      event({ visitor_id: 'v\u0000u1' }),
      event({ user_id: 'u\r\n1' }),
      event({ visitor_id: '*' }),
    ]);
    expect(controls.body.rejected.map((r) => r.index)).toEqual([0, 1]);
    await victimStillServed();
  });

  it('answers a batch no rate limit can ever admit with 413, not a bypass', async () => {
    const res = await native(
      'pk_tight',
      Array.from({ length: 1000 }, () => event()),
    );
    expect(res.status).toBe(413);
    expect(await backend.warehouse.eventCount('cust_tight')).toBe(0);
    await victimStillServed();
  });

  it('tells the public key nothing about an identified user', async () => {
    const view = () =>
      event({ event_type: 'page_view', visitor_id: 'v-fan', properties: { path: '/pricing' } });
    await native('pk_attacker', [view(), view(), view()]);
    await native('pk_attacker', [
      event({
        event_type: 'identify',
        event_name: 'identify',
        visitor_id: 'v-fan',
        user_id: 'u-fan',
      }),
    ]);
    await stored('u-fan a member of pricing_fans', async () =>
      (await backend.store.members('cust_attacker', 'pricing_fans', null, 100)).ids.includes(
        'u-fan',
      ),
    );
    for (const asked of ['v-fan', 'u-fan']) {
      const res = await fetch(`${edge.url}/v1/decide?key=pk_attacker&visitor_id=${asked}`);
      expect((await res.json()) as DecideResponse).toEqual({
        visitor_id: asked,
        id: asked,
        segments: [],
        actions: [],
      });
    }
    await victimStillServed();
  });

  it('refuses absurd event times and ignores an absurd sent_at', async () => {
    const res = await native(
      'pk_attacker',
      [
        event({ timestamp: '0001-01-01T00:00:00Z' }),
        event({ timestamp: '9999-12-31T23:59:59Z' }),
        event(),
      ],
      '9999-12-31T23:59:59.000Z',
    );
    expect(res.status).toBe(200);
    expect(res.body.rejected.map((r) => r.index)).toEqual([0, 1]);
    await victimStillServed();
  });
});
