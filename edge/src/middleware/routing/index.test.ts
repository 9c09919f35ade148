import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ErrorResponse, IngestResponse } from '@pulse/contract';
import { createTestEdge } from '../../../test/support/test-app';
import { keyConfigs, nativeEvent } from '../../../test/support/fixtures';
import { startRecordingServer, type RecordingServer } from '../../../test/support/recording-server';
import type { KeyConfig } from '../../config/key-config';
import { NO_MIGRATION } from '../../config/migration';
import { SHADOW_STATUS_HEADER } from '.';

/** The legacy pipeline: a system outside Pulse, here a recording double. */
let legacy: RecordingServer;
const legacyAnswer = { status: 200, body: '{"legacy":"ok"}', contentType: 'application/json' };

beforeAll(async () => {
  legacy = await startRecordingServer();
});
afterAll(() => legacy.close());
beforeEach(() => {
  legacy.requests.length = 0;
  legacy.respond = () => legacyAnswer;
});

function edgeWithRouting() {
  const base = keyConfigs()['pk_test_open']!;
  return createTestEdge({
    keys: {
      pk_shadow: {
        ...base,
        customer_id: 'cust_shadow',
        routing: 'shadow',
        legacy_url: `${legacy.url}/legacy/`,
      },
      pk_legacy: { ...base, customer_id: 'cust_legacy', routing: 'legacy', legacy_url: legacy.url },
    },
  });
}

const headers = {
  'user-agent': 'Browser/1.0',
  'x-forwarded-for': '203.0.113.9',
  'cf-connecting-ip': '203.0.113.9',
  origin: 'https://shop.example',
};

describe('routing per customer', () => {
  it('legacy: forwards the raw request, answers what legacy answered, writes nothing to Pulse', async () => {
    const edge = edgeWithRouting();
    const body = JSON.stringify({ events: [nativeEvent()] });
    const res = await edge.post('/v1/events?key=pk_legacy', body, headers);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('{"legacy":"ok"}');
    expect(edge.sink.batches).toHaveLength(0);
    expect(legacy.requests).toHaveLength(1);
    const forwarded = legacy.requests[0]!;
    expect(forwarded).toMatchObject({ method: 'POST', url: '/v1/events?key=pk_legacy', body });
    expect(forwarded.headers).toMatchObject({
      'content-type': 'text/plain',
      'user-agent': 'Browser/1.0',
      origin: 'https://shop.example',
    });
    // The raw IP never leaves the edge, not even to the legacy pipeline.
    expect(JSON.stringify(forwarded.headers)).not.toContain('203.0.113.9');
  });

  it('shadow: legacy stays primary and Pulse gets the same events as a dual write', async () => {
    const edge = edgeWithRouting();
    const events = [nativeEvent(), nativeEvent()];
    const res = await edge.post('/v1/events?key=pk_shadow', { events }, headers);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ legacy: 'ok' });
    expect(res.headers.get(SHADOW_STATUS_HEADER)).toBe('200');
    expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(legacy.requests.map((r) => r.url)).toEqual(['/legacy/v1/events?key=pk_shadow']);
    expect(edge.sink.events().map((e) => [e.customer_id, e.event_id])).toEqual(
      events.map((e) => ['cust_shadow', e.event_id]),
    );
  });

  it('shadow: a failed Pulse write does not change the legacy answer, and is reported', async () => {
    const edge = edgeWithRouting();
    edge.sink.failing = true;
    const res = await edge.post('/v1/events?key=pk_shadow', { events: [nativeEvent()] });
    expect(res.status).toBe(200);
    expect(res.headers.get(SHADOW_STATUS_HEADER)).toBe('503');
    expect(res.headers.get('retry-after')).toBeNull();
    expect(await res.json()).toEqual({ legacy: 'ok' });
  });

  it('never lets the Pulse rate limit stand in front of the legacy pipeline', async () => {
    const base = keyConfigs()['pk_test_open']!;
    const tight = { ...base, rate: { per_second: 1, burst: 1 } };
    const edge = createTestEdge({
      keys: {
        pk_shadow_tight: {
          ...tight,
          customer_id: 'c_st',
          routing: 'shadow',
          legacy_url: legacy.url,
        },
        pk_legacy_tight: {
          ...tight,
          customer_id: 'c_lt',
          routing: 'legacy',
          legacy_url: legacy.url,
        },
      },
    });
    const shadow = [];
    for (let i = 0; i < 3; i++) {
      const res = await edge.post('/v1/events?key=pk_shadow_tight', { events: [nativeEvent()] });
      shadow.push([res.status, res.headers.get(SHADOW_STATUS_HEADER)]);
    }
    expect(shadow).toEqual([
      [200, '200'],
      [200, '429'],
      [200, '429'],
    ]);
    for (let i = 0; i < 3; i++) {
      expect(
        (await edge.post('/v1/events?key=pk_legacy_tight', { events: [nativeEvent()] })).status,
      ).toBe(200);
    }
    expect(legacy.requests).toHaveLength(6);
    expect(edge.sink.events()).toHaveLength(1);
  });

  it('passes legacy 4xx answers through', async () => {
    const edge = edgeWithRouting();
    legacy.respond = () => ({
      status: 400,
      body: 'bad request (legacy)',
      contentType: 'text/plain',
    });
    for (const key of ['pk_legacy', 'pk_shadow']) {
      const res = await edge.post(`/v1/events?key=${key}`, { events: [nativeEvent()] });
      expect(res.status).toBe(400);
      expect(await res.text()).toBe('bad request (legacy)');
    }
  });

  it('answers 503 with Retry-After when legacy fails or cannot be reached, so the client retries', async () => {
    const edge = edgeWithRouting();
    legacy.respond = () => ({ status: 500, body: 'boom' });
    for (const key of ['pk_legacy', 'pk_shadow']) {
      const res = await edge.post(`/v1/events?key=${key}`, { events: [nativeEvent()] });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(((await res.json()) as ErrorResponse).error).toEqual({
        code: 'unavailable',
        message: 'legacy pipeline answered 500',
      });
    }
    const base = keyConfigs()['pk_test_open']!;
    const unreachable = createTestEdge({
      keys: { pk_gone: { ...base, routing: 'legacy', legacy_url: 'http://127.0.0.1:9' } },
    });
    const res = await unreachable.post('/v1/events?key=pk_gone', { events: [nativeEvent()] });
    expect(res.status).toBe(503);
    expect(((await res.json()) as ErrorResponse).error.message).toMatch(
      /^legacy pipeline unreachable/,
    );
  });

  it('new: never calls the legacy pipeline', async () => {
    const edge = edgeWithRouting();
    const res = await edge.post('/v1/events?key=pk_test_open', { events: [nativeEvent()] });
    expect(((await res.json()) as IngestResponse).accepted).toBe(1);
    expect(legacy.requests).toHaveLength(0);
  });

  it('switches routing by config alone', async () => {
    const base = keyConfigs()['pk_test_open']!;
    const configs = new Map<string, KeyConfig>([
      ['pk_switch', { ...base, routing: 'legacy', legacy_url: legacy.url }],
    ]);
    const edge = createTestEdge({
      deps: {
        config: {
          get: (key) => Promise.resolve(configs.get(key) ?? null),
          migration: () => Promise.resolve(NO_MIGRATION),
        },
      },
    });
    await edge.post('/v1/events?key=pk_switch', { events: [nativeEvent()] });
    expect([legacy.requests.length, edge.sink.batches.length]).toEqual([1, 0]);
    configs.set('pk_switch', { ...base, routing: 'new', legacy_url: legacy.url });
    await edge.post('/v1/events?key=pk_switch', { events: [nativeEvent()] });
    expect([legacy.requests.length, edge.sink.batches.length]).toEqual([1, 1]);
  });
});
