import { describe, expect, it } from 'vitest';
import { LIMITS, type ErrorResponse, type IngestResponse } from '@pulse/contract';
import { createTestEdge } from '../../test/support/test-app';
import { KEYS, nativeEvent } from '../../test/support/fixtures';

const path = `/v1/events?key=${KEYS.open}`;
const sentAt = '2025-01-21T10:30:00.000Z';

async function errorOf(res: Response): Promise<ErrorResponse['error']> {
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return ((await res.json()) as ErrorResponse).error;
}

describe('POST /v1/events', () => {
  it('accepts a native batch and hands every event, enriched, to the sink before answering', async () => {
    const edge = createTestEdge();
    const events = [nativeEvent(), nativeEvent({ event_type: 'custom', event_name: 'signup' })];
    const res = await edge.post(path, { sent_at: sentAt, events });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: 2, rejected: [] } satisfies IngestResponse);
    const delivered = edge.sink.events();
    expect(delivered.map((e) => e.event_id)).toEqual(events.map((e) => e.event_id));
    expect(delivered[0]).toMatchObject({
      customer_id: 'cust_open',
      visitor_id: 'visitor-1',
      user_id: null,
      session_id: 'session-1',
      event_type: 'page_view',
      event_name: 'pricing_page',
      properties: { url: '/pricing', referrer: '/features' },
      previous_id: null,
      original_timestamp: '2025-01-21T10:29:59.000Z',
      sent_at: sentAt,
      received_at: '2025-01-21T10:30:00.050Z',
    });
    expect(edge.sink.batches).toHaveLength(1);
    expect(edge.sink.batches[0]?.customer_id).toBe('cust_open');
  });

  it('passes on the count of events the client dropped for space, so it is not lost silently', async () => {
    const edge = createTestEdge();
    const res = await edge.post(path, { sent_at: sentAt, dropped: 3, events: [nativeEvent()] });
    expect(res.status).toBe(200);
    expect(edge.sink.batches[0]?.client_dropped).toBe(3);
    await edge.post(path, { sent_at: sentAt, events: [nativeEvent()] });
    expect(edge.sink.batches[1]).not.toHaveProperty('client_dropped');
  });

  it("continues the client's W3C trace in the batch it hands on, or starts one", async () => {
    const edge = createTestEdge();
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await edge.post(path, { sent_at: sentAt, events: [nativeEvent()] }, { traceparent });
    await edge.post(path, { sent_at: sentAt, events: [nativeEvent()] });
    const [traced, untraced] = edge.sink.batches.map((batch) => batch.traceparent ?? '');
    expect(traced).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(traced).not.toBe(traceparent);
    expect(untraced).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(untraced?.slice(3, 35)).not.toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('takes customer_id from the key, never from the body', async () => {
    const edge = createTestEdge();
    const res = await edge.post(path, {
      customer_id: 'cust_forged',
      events: [nativeEvent({ customer_id: 'cust_forged' })],
    });
    expect(res.status).toBe(200);
    expect(edge.sink.events()[0]?.customer_id).toBe('cust_open');
    expect(JSON.stringify(edge.sink.batches)).not.toContain('cust_forged');
  });

  it('rejects bad events one by one, dead-letters them with reason and raw payload, and delivers their valid neighbours', async () => {
    const edge = createTestEdge();
    const good1 = nativeEvent();
    const badType = nativeEvent({ event_type: 'purchase' });
    const notObject = 42;
    const good2 = nativeEvent({ event_type: 'identify', event_name: 'identify', user_id: 'u1' });
    const badTime = nativeEvent({ timestamp: 'yesterday' });
    const res = await edge.post(path, {
      sent_at: sentAt,
      events: [good1, badType, notObject, good2, badTime],
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as IngestResponse;
    expect(body.accepted).toBe(2);
    expect(body.rejected).toEqual([
      {
        index: 1,
        event_id: badType.event_id,
        code: 'invalid_event',
        message: expect.stringMatching(/^event_type: /),
      },
      { index: 2, event_id: null, code: 'invalid_event', message: expect.any(String) },
      {
        index: 4,
        event_id: badTime.event_id,
        code: 'invalid_event',
        message: expect.stringMatching(/^timestamp: /),
      },
    ]);
    expect(edge.sink.events().map((e) => e.event_id)).toEqual([good1.event_id, good2.event_id]);
    const letters = edge.sink.deadLetters();
    expect(letters.map((l) => [l.index, l.code, l.raw])).toEqual([
      [1, 'invalid_event', badType],
      [2, 'invalid_event', 42],
      [4, 'invalid_event', badTime],
    ]);
    for (const letter of letters) {
      expect(letter.customer_id).toBe('cust_open');
      expect(letter.received_at).toBe('2025-01-21T10:30:00.050Z');
      expect(letter.message.length).toBeGreaterThan(5);
    }
    // Dead letters and events travel in the same durable write.
    expect(edge.sink.batches).toHaveLength(1);
  });

  it('rejects an event over 32 KB inside a batch and keeps the others', async () => {
    const edge = createTestEdge();
    const big = nativeEvent({ properties: { blob: 'x'.repeat(LIMITS.maxEventBytes) } });
    const small = nativeEvent();
    const res = await edge.post(path, { events: [big, small] });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      accepted: 1,
      rejected: [
        { index: 0, event_id: big.event_id, code: 'event_too_large', message: expect.any(String) },
      ],
    });
    expect(edge.sink.deadLetters()[0]?.code).toBe('event_too_large');
  });

  it('measures the serialised size of an event its shape bound cannot settle', async () => {
    const edge = createTestEdge();
    // 6,000 characters, each serialised as a 6-byte \u0001: over 32 KB on the wire.
    const escaped = nativeEvent({ properties: { blob: '\u0001'.repeat(6000) } });
    // 15,000 two-byte characters: 30,000 bytes, under the limit, though bounded over it.
    const wide = nativeEvent({ properties: { blob: 'é'.repeat(15_000) } });
    const plain = nativeEvent({ properties: { note: 'x'.repeat(4000) } });
    const res = await edge.post(path, { events: [escaped, wide, plain] });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      accepted: 2,
      rejected: [
        {
          index: 0,
          event_id: escaped.event_id,
          code: 'event_too_large',
          message: expect.any(String),
        },
      ],
    });
    expect(edge.sink.events().map((e) => e.event_id)).toEqual([wide.event_id, plain.event_id]);
  });

  it('answers 503 with Retry-After and acknowledges nothing when the sink fails', async () => {
    const edge = createTestEdge();
    edge.sink.failing = true;
    const res = await edge.post(path, { events: [nativeEvent()] });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await errorOf(res)).toEqual({ code: 'unavailable', message: expect.any(String) });
    expect(edge.sink.batches).toHaveLength(0);

    edge.sink.failing = false;
    const retried = await edge.post(path, { events: [nativeEvent()] });
    expect(retried.status).toBe(200);
  });

  it('answers 400 invalid_json for a body that is not JSON, or empty', async () => {
    const edge = createTestEdge();
    for (const body of ['{"events": [', '', 'undefined', '\u0000']) {
      const res = await edge.post(path, body);
      expect(res.status).toBe(400);
      expect((await errorOf(res)).code).toBe('invalid_json');
    }
    expect(edge.sink.batches).toHaveLength(0);
  });

  it('answers 400 invalid_batch for JSON that is not a batch envelope', async () => {
    const edge = createTestEdge();
    const cases = [
      [nativeEvent()],
      'just a string',
      null,
      {},
      { events: 'all of them' },
      { events: [] },
      { sent_at: 'not a time', events: [nativeEvent()] },
      { dropped: -1, events: [nativeEvent()] },
    ];
    for (const body of cases) {
      const res = await edge.post(path, JSON.stringify(body));
      expect(res.status, JSON.stringify(body)).toBe(400);
      const error = await errorOf(res);
      expect(error.code).toBe('invalid_batch');
      expect(error.message.length).toBeGreaterThan(5);
    }
    expect(edge.sink.batches).toHaveLength(0);
  });

  it('answers 413 past the event limit of a native batch', async () => {
    const edge = createTestEdge();
    const events = Array.from({ length: LIMITS.maxBatchEvents + 1 }, () => ({ event_id: 'e' }));
    const res = await edge.post(path, { events });
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe('payload_too_large');
    const atLimit = Array.from({ length: LIMITS.maxBatchEvents }, () => nativeEvent());
    expect((await edge.post(path, { events: atLimit })).status).toBe(200);
    expect(edge.sink.events()).toHaveLength(LIMITS.maxBatchEvents);
  });

  it('answers 413 past 500 KB, whether Content-Length says so or the body is streamed', async () => {
    const edge = createTestEdge();
    const huge = JSON.stringify({
      events: [nativeEvent({ properties: { x: 'y'.repeat(LIMITS.maxRequestBytes) } })],
    });
    const declared = await edge.post(path, huge);
    expect(declared.status).toBe(413);
    expect((await errorOf(declared)).code).toBe('payload_too_large');

    const bytes = new TextEncoder().encode(huge);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 64 * 1024)
          controller.enqueue(bytes.slice(i, i + 64 * 1024));
        controller.close();
      },
    });
    const streamed = await edge.app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(edge.sink.batches).toHaveLength(0);
  });

  it('answers 415 for content types other than JSON, text/plain and form-urlencoded (RudderStack Node), and accepts those with parameters', async () => {
    const edge = createTestEdge();
    const body = JSON.stringify({ events: [nativeEvent()] });
    for (const type of ['multipart/form-data; boundary=x', 'text/html']) {
      const res = await edge.post(path, body, { 'content-type': type });
      expect(res.status, type).toBe(415);
      expect((await errorOf(res)).code).toBe('unsupported_media_type');
    }
    const untyped = await edge.app.request(path, { method: 'POST', body: new Blob([body]) });
    expect(untyped.status).toBe(415);
    for (const type of [
      'application/json',
      'application/json; charset=utf-8',
      'text/plain;charset=UTF-8',
      'application/x-www-form-urlencoded',
    ]) {
      const res = await edge.post(path, JSON.stringify({ events: [nativeEvent()] }), {
        'content-type': type,
      });
      expect(res.status, type).toBe(200);
    }
  });

  it('answers JSON 404 for unknown paths and methods', async () => {
    const edge = createTestEdge();
    for (const [method, url] of [
      ['POST', '/v1/unknown'],
      ['GET', '/v1/events'],
      ['PUT', '/v1/track'],
      ['GET', '/'],
    ] as const) {
      const res = await edge.app.request(url, { method });
      expect(res.status, `${method} ${url}`).toBe(404);
      expect((await errorOf(res)).code).toBe('not_found');
    }
  });
});

describe('POST /v1/events with hostile input', () => {
  it('rejects an event nested 4,500 levels deep alone, with a dead letter that serialises, and keeps its neighbour', async () => {
    const edge = createTestEdge();
    const good = nativeEvent();
    const deep = nativeEvent({ properties: { deep: 1 } });
    // The test builds the body by hand: JSON.stringify of such a value overflows the stack.
    let deepJson = '1';
    for (let i = 0; i < 4500; i++) deepJson = `{"a":${deepJson}}`;
    const deepText = JSON.stringify(deep).replace('"deep":1', `"deep":${deepJson}`);
    const res = await edge.post(
      path,
      `{"sent_at":"${sentAt}","events":[${JSON.stringify(good)},${deepText}]}`,
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as IngestResponse;
    expect(body.accepted).toBe(1);
    expect(body.rejected).toEqual([
      {
        index: 1,
        event_id: deep.event_id,
        code: 'invalid_event',
        message: `properties or context nest deeper than ${LIMITS.maxJsonDepth} levels`,
      },
    ]);
    expect(edge.sink.events().map((e) => e.event_id)).toEqual([good.event_id]);
    // What goes to the dead letters must survive JSON.stringify (which overflowed before).
    expect(() => JSON.stringify(edge.sink.batches)).not.toThrow();
  });

  it('rejects properties over the key and array limits with the limit named', async () => {
    const edge = createTestEdge();
    const wide = Object.fromEntries(
      Array.from({ length: LIMITS.maxJsonKeys + 1 }, (_, i) => [`k${i}`, i]),
    );
    const long = { list: Array.from({ length: LIMITS.maxArrayLength + 1 }, () => 0) };
    const res = await edge.post(path, {
      sent_at: sentAt,
      events: [nativeEvent({ properties: wide }), nativeEvent({ properties: long })],
    });
    const body = (await res.json()) as IngestResponse;
    expect(body.accepted).toBe(0);
    expect(body.rejected.map((r) => r.message)).toEqual([
      `properties: has over ${LIMITS.maxJsonKeys} keys`,
      `properties: has an array of over ${LIMITS.maxArrayLength} items`,
    ]);
  });

  it('refuses control characters in ids and keeps ids shaped like keys as opaque text', async () => {
    const edge = createTestEdge();
    const events = [
      nativeEvent({ visitor_id: 'v\u0000u1' }),
      nativeEvent({ user_id: 'u\n1' }),
      nativeEvent({ event_id: 'e\u007f' }),
      nativeEvent({ visitor_id: 'user:u1' }),
    ];
    const res = await edge.post(path, { sent_at: sentAt, events });
    const body = (await res.json()) as IngestResponse;
    expect(body.rejected.map((r) => [r.index, r.message])).toEqual([
      [0, 'visitor_id: must not contain control characters'],
      [1, 'user_id: must not contain control characters'],
      [2, 'event_id: must not contain control characters'],
    ]);
    expect(edge.sink.events().map((e) => e.visitor_id)).toEqual(['user:u1']);
  });

  it('keeps event times storable: absurd times are refused, a hostile sent_at cannot move one out of range', async () => {
    const edge = createTestEdge();
    const res = await edge.post(path, {
      sent_at: '9999-12-31T23:59:59.000Z',
      events: [
        nativeEvent({ timestamp: '0001-01-01T00:00:00.000Z' }),
        nativeEvent({ timestamp: '2024-03-01T10:00:00.000Z' }),
      ],
    });
    const body = (await res.json()) as IngestResponse;
    expect(body.rejected.map((r) => r.index)).toEqual([0]);
    const [stored] = edge.sink.events();
    const ms = Date.parse(stored?.timestamp ?? '');
    expect(ms).toBeGreaterThanOrEqual(LIMITS.minEventTimeMs);
    expect(ms).toBeLessThan(LIMITS.maxEventTimeMs);
  });
});
