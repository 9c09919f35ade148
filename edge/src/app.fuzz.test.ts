import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ErrorResponse, IngestResponse } from '@pulse/contract';
import { createTestEdge } from '../test/support/test-app';
import { KEYS, nativeEvent } from '../test/support/fixtures';

/** Every status the edge may answer on bad input; a 5xx is never among them. */
const CLIENT_STATUSES = new Set([200, 204, 400, 401, 403, 404, 413, 415, 429]);
const PATHS = [
  '/v1/events',
  '/v1/batch',
  '/v1/track',
  '/v1/page',
  '/v1/screen',
  '/v1/identify',
  '/v1/alias',
  '/v1/group',
];
const RUNS = 250;

const printable = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 40,
});
const key = fc.oneof(fc.constant(KEYS.open), fc.constant(KEYS.tight), printable);
const contentType = fc.oneof(
  fc.constantFrom(
    'text/plain',
    'application/json',
    'application/json; charset=utf-8',
    'text/plain;charset=UTF-8',
  ),
  printable,
);
const headers = fc.record(
  {
    'content-type': contentType,
    authorization: fc.oneof(
      key.map((k) => `Basic ${btoa(`${k}:`)}`),
      printable.map((s) => `Basic ${s}`),
      printable,
    ),
    'x-pulse-key': key,
    origin: fc.oneof(
      fc.constantFrom('https://shop.example', 'https://a.example.org', 'null'),
      printable,
    ),
    'x-forwarded-for': printable,
    'accept-language': printable,
    'content-encoding': fc.constantFrom('gzip', 'identity', 'br', ''),
  },
  { requiredKeys: [] },
);
/** Bodies: raw text, any JSON, and batch-shaped JSON with anything inside. */
const body = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null'),
  fc
    .record(
      {
        events: fc.array(fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constant(nativeEvent())), {
          maxLength: 8,
        }),
        sent_at: fc.oneof(fc.constant('2025-01-21T10:30:00.000Z'), fc.jsonValue()),
        writeKey: key,
        batch: fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 8 }),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
);

async function expectJsonAnswer(res: Response): Promise<void> {
  expect(CLIENT_STATUSES.has(res.status), `status ${res.status}`).toBe(true);
  if (res.status === 204) return;
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const answer = (await res.json()) as Partial<IngestResponse & ErrorResponse>;
  if (res.status === 200) {
    expect(typeof answer.accepted).toBe('number');
    expect(Array.isArray(answer.rejected)).toBe(true);
  } else {
    expect(typeof answer.error?.code).toBe('string');
    expect(typeof answer.error?.message).toBe('string');
  }
  if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
}

describe('fuzzing the edge (fast-check)', () => {
  it('never throws and never answers 5xx or non-JSON, whatever the body, headers, key and path', async () => {
    const edge = createTestEdge();
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...PATHS),
        fc.option(key),
        headers,
        body,
        async (path, queryKey, hdrs, text) => {
          const url = queryKey === null ? path : `${path}?key=${encodeURIComponent(queryKey)}`;
          const clean = Object.fromEntries(Object.entries(hdrs).filter(([, v]) => v !== ''));
          const res = await edge.app.request(url, { method: 'POST', headers: clean, body: text });
          seen.add(res.status);
          await expectJsonAnswer(res);
        },
      ),
      { numRuns: RUNS * 4 },
    );
    // The inputs reach past the first checks: accepted requests and each kind of refusal occur.
    for (const status of [200, 400, 401, 403, 415])
      expect(seen, `status ${status} seen`).toContain(status);
  });

  it('answers preflights and other methods without 5xx', async () => {
    const edge = createTestEdge();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...PATHS, '/', '/v2/events', '/v1/events/x'),
        fc.constantFrom('OPTIONS', 'GET', 'PUT', 'DELETE', 'PATCH', 'POST'),
        fc.option(key),
        headers,
        async (path, method, queryKey, hdrs) => {
          const url = queryKey === null ? path : `${path}?key=${encodeURIComponent(queryKey)}`;
          const clean = Object.fromEntries(Object.entries(hdrs).filter(([, v]) => v !== ''));
          await expectJsonAnswer(await edge.app.request(url, { method, headers: clean }));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('delivers every valid native event beside any junk, and rejects exactly the junk', async () => {
    const edge = createTestEdge();
    const junk = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.record(
        { event_id: fc.jsonValue(), visitor_id: fc.jsonValue(), event_type: fc.jsonValue() },
        { requiredKeys: [] },
      ),
      // A valid event with one field broken.
      fc
        .constantFrom(
          'event_id',
          'visitor_id',
          'event_type',
          'event_name',
          'timestamp',
          'properties',
          'context',
        )
        .chain((field) =>
          fc
            .constantFrom<unknown>(null, 42, [], 'x'.repeat(300), { a: 1 })
            .map((value) => ({ field, value })),
        )
        .filter(
          ({ field, value }) =>
            !(field === 'event_name' && typeof value === 'string' && value.length <= 200),
        )
        .filter(
          ({ field, value }) =>
            !(
              ['properties', 'context'].includes(field) &&
              typeof value === 'object' &&
              value !== null &&
              !Array.isArray(value)
            ),
        )
        .map(({ field, value }) => nativeEvent({ [field]: value })),
    );
    const slot = fc.oneof(
      fc.constant(null).map(() => ({ valid: true, event: nativeEvent() as unknown })),
      junk.map((event) => ({ valid: false, event })),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(slot, { minLength: 1, maxLength: 30 }), async (slots) => {
        edge.sink.batches.length = 0;
        const res = await edge.post(`/v1/events?key=${KEYS.open}`, {
          sent_at: '2025-01-21T10:30:00.000Z',
          events: slots.map((s) => s.event),
        });
        expect(res.status).toBe(200);
        const answer = (await res.json()) as IngestResponse;
        const validIds = slots
          .filter((s) => s.valid)
          .map((s) => (s.event as { event_id: string }).event_id);
        expect(answer.accepted).toBe(validIds.length);
        expect(edge.sink.events().map((e) => e.event_id)).toEqual(validIds);
        expect(answer.rejected.map((r) => r.index)).toEqual(
          slots.flatMap((s, i) => (s.valid ? [] : [i])),
        );
        expect(edge.sink.deadLetters().map((l) => l.index)).toEqual(
          answer.rejected.map((r) => r.index),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('delivers every valid Segment message beside any junk in a batch', async () => {
    const edge = createTestEdge();
    let n = 0;
    const validMessage = fc
      .constantFrom('track', 'page', 'screen', 'identify', 'group')
      .map((type) => ({
        type,
        messageId: `m-${++n}`,
        userId: 'u1',
        event: 'Clicked',
        groupId: 'g1',
        properties: { a: 1 },
        timestamp: '2025-01-21T10:29:00.000Z',
      }));
    const slot = fc.oneof(
      validMessage.map((message) => ({ valid: true, message: message as unknown })),
      fc.jsonValue({ maxDepth: 3 }).map((message) => ({ valid: false, message })),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(slot, { minLength: 1, maxLength: 30 }), async (slots) => {
        // Junk that happens to be a valid message is valid: judge by what the edge must do.
        edge.sink.batches.length = 0;
        const res = await edge.post(`/v1/batch?key=${KEYS.open}`, {
          batch: slots.map((s) => s.message),
        });
        expect(res.status).toBe(200);
        const answer = (await res.json()) as IngestResponse;
        const validIds = slots
          .filter((s) => s.valid)
          .map((s) => (s.message as { messageId: string }).messageId);
        const delivered = edge.sink.events().map((e) => e.event_id);
        for (const id of validIds) expect(delivered).toContain(id);
        expect(answer.accepted + answer.rejected.length).toBe(slots.length);
      }),
      { numRuns: RUNS },
    );
  });
});
