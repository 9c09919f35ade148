import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  clientEventSchema,
  isClientEvent,
  pulseEventSchema,
  readPulseEvent,
  readSinkBatch,
  sinkBatchSchema,
} from './schema';
import { LIMITS } from './limits';

const valid = {
  event_id: '0193a6b2-7c1e-7abc-8def-0123456789ab',
  visitor_id: 'v1',
  event_type: 'page_view',
  event_name: 'pricing_page',
  timestamp: '2025-01-21T10:30:00.000Z',
};

const junk = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.integer(),
  fc.boolean(),
  fc.constant([]),
  fc.constant({}),
  fc.string({ maxLength: 8 }),
);
const sized = (limit: number) =>
  fc.oneof(
    fc.constantFrom(
      '',
      'a',
      'x'.repeat(limit),
      'x'.repeat(limit + 1),
      'é'.repeat(limit),
      'user:u1',
      'a\u0000b',
      'tab\there',
      'del\u007f',
      'c1\u0085',
      'lone\ud800',
      '\udfffx',
      'pair🙂',
    ),
    fc.string({ maxLength: 12 }),
    fc.string({ unit: 'binary', maxLength: 6 }),
  );
/** A value nested `depth` levels deep, alternating objects and arrays. */
const nested = (depth: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
};
/** Properties at the shape limits and one past them. */
const shaped = fc.constantFrom(
  { deep: nested(LIMITS.maxJsonDepth - 1) },
  { deep: nested(LIMITS.maxJsonDepth) },
  { deep: nested(4500) },
  Object.fromEntries(Array.from({ length: LIMITS.maxJsonKeys }, (_, i) => [`k${i}`, i])),
  Object.fromEntries(Array.from({ length: LIMITS.maxJsonKeys + 1 }, (_, i) => [`k${i}`, i])),
  { list: Array.from({ length: LIMITS.maxArrayLength }, (_, i) => i) },
  { list: Array.from({ length: LIMITS.maxArrayLength + 1 }, (_, i) => i) },
);
const time = fc.oneof(
  fc.constantFrom(
    '2025-01-21T10:30:00.000Z',
    '2025-01-21T10:30:00Z',
    '2025-01-21T10:30Z',
    '2025-01-21T10:30:00.123456789+02:00',
    '2024-02-29T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '2015-2-02T00:30:08.276Z',
    '2025-01-21 10:30:00Z',
    '2025-01-21T24:00:00Z',
    '2025-01-21T10:30:00.000',
    '2025-01-21',
    '1969-12-31T23:59:59.999Z',
    '1970-01-01T00:00:00.000Z',
    '2099-12-31T23:59:59.999Z',
    '2100-01-01T00:00:00.000Z',
    '0001-01-01T00:00:00.000Z',
    '9999-12-31T23:59:59.999Z',
  ),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.string({ maxLength: 30 }),
);
const context = fc.oneof(
  junk,
  fc.record(
    {
      locale: fc.oneof(sized(64), junk),
      user_agent: fc.oneof(sized(1024), junk),
      page: fc.oneof(junk, fc.constant({ path: '/x' })),
      ip: junk,
    },
    { requiredKeys: [] },
  ),
);
const candidate = fc.record(
  {
    event_id: fc.oneof(sized(LIMITS.maxEventIdLength), junk),
    visitor_id: fc.oneof(sized(LIMITS.maxIdLength), junk),
    user_id: fc.oneof(sized(LIMITS.maxIdLength), junk),
    session_id: fc.oneof(sized(LIMITS.maxIdLength), junk),
    previous_id: fc.oneof(sized(LIMITS.maxIdLength), junk),
    event_type: fc.oneof(
      fc.constantFrom('page_view', 'click', 'custom', 'identify', 'alias', 'purchase', 'PAGE_VIEW'),
      junk,
    ),
    event_name: fc.oneof(sized(LIMITS.maxEventNameLength), junk),
    properties: fc.oneof(
      junk,
      shaped,
      fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 })),
    ),
    context: fc.oneof(context, shaped),
    timestamp: time,
    extra: junk,
  },
  { requiredKeys: [] },
);
/** Mostly-valid events with one field replaced, so both verdicts are common. */
const nearValid = fc
  .tuple(
    candidate,
    fc.subarray(Object.keys(valid).concat(['user_id', 'properties', 'context']), { maxLength: 2 }),
  )
  .map(([random, fields]) => {
    const event: Record<string, unknown> = { ...valid };
    for (const field of fields) event[field] = (random as Record<string, unknown>)[field];
    return event;
  });

describe('isClientEvent', () => {
  it('gives exactly the verdict of clientEventSchema', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof(candidate, nearValid, fc.jsonValue({ maxDepth: 3 })), (value) => {
        const expected = clientEventSchema.safeParse(value).success;
        expect(isClientEvent(value)).toBe(expected);
        if (expected) accepted++;
      }),
      { numRuns: 5000 },
    );
    // Both verdicts were exercised, not only refusals.
    expect(accepted).toBeGreaterThan(500);
    // 5,000 runs of pure CPU work: 6.6 s on a loaded machine, over the default 5 s budget.
  }, 60_000);

  it('accepts the contract example and refuses a broken copy', () => {
    expect(isClientEvent(valid)).toBe(true);
    expect(isClientEvent({ ...valid, event_type: 'purchase' })).toBe(false);
    expect(isClientEvent({ ...valid, context: { locale: 'x'.repeat(65) } })).toBe(false);
  });

  it('refuses what no store may hold: control characters, absurd times, hostile nesting', () => {
    expect(isClientEvent({ ...valid, visitor_id: 'user:u1' })).toBe(true);
    expect(isClientEvent({ ...valid, visitor_id: 'v\u0000u1' })).toBe(false);
    expect(isClientEvent({ ...valid, event_id: 'e\n1' })).toBe(false);
    // A lone surrogate has no UTF-8 form: '\ud800' and '\ud801' would be stored as one id.
    expect(isClientEvent({ ...valid, visitor_id: 'v\ud800' })).toBe(false);
    expect(isClientEvent({ ...valid, event_name: '\udc00' })).toBe(false);
    expect(isClientEvent({ ...valid, visitor_id: 'v🙂' })).toBe(true);
    expect(isClientEvent({ ...valid, timestamp: '0001-01-01T00:00:00Z' })).toBe(false);
    expect(isClientEvent({ ...valid, timestamp: '2024-03-01T00:00:00Z' })).toBe(true);
    expect(isClientEvent({ ...valid, properties: { deep: nested(4500) } })).toBe(false);
    const refused = clientEventSchema.safeParse({ ...valid, properties: { deep: nested(4500) } });
    expect(refused.error?.issues[0]?.message).toBe(
      `nests deeper than ${LIMITS.maxJsonDepth} levels`,
    );
  });
});

/** An event as the edge sends it on: the client's fields completed. */
const pulseValid = {
  ...valid,
  customer_id: 'cust_1',
  user_id: null,
  session_id: 's1',
  previous_id: null,
  properties: { plan: 'pro' },
  context: { locale: 'en-US', page: { path: '/' } },
  original_timestamp: '2025-01-21T10:30:00.000Z',
  sent_at: '2025-01-21T10:30:01.000Z',
  received_at: '2025-01-21T10:30:01.050Z',
};
const pulseCandidate = fc
  .tuple(
    candidate,
    fc.record(
      {
        customer_id: fc.oneof(fc.constantFrom('cust_1', 'c', '-c', 'c:1', 'x'.repeat(65)), junk),
        original_timestamp: time,
        sent_at: time,
        received_at: time,
      },
      { requiredKeys: [] },
    ),
  )
  .map(([client, more]) => ({ ...client, ...more }));
/** Mostly-valid pulse events with one or two fields replaced. */
const nearValidPulse = fc
  .tuple(pulseCandidate, fc.subarray(Object.keys(pulseValid).concat(['extra']), { maxLength: 2 }))
  .map(([random, fields]) => {
    const event: Record<string, unknown> = { ...pulseValid };
    for (const field of fields) {
      if (field in random) event[field] = (random as Record<string, unknown>)[field];
      else delete event[field];
    }
    return event;
  });

describe('readPulseEvent', () => {
  it('gives exactly what pulseEventSchema.safeParse gives', () => {
    let accepted = 0;
    fc.assert(
      fc.property(
        fc.oneof(pulseCandidate, nearValidPulse, fc.jsonValue({ maxDepth: 3 })),
        (value) => {
          const parsed = pulseEventSchema.safeParse(value);
          expect(readPulseEvent(value)).toStrictEqual(parsed.success ? parsed.data : undefined);
          if (parsed.success) accepted++;
        },
      ),
      { numRuns: 5000 },
    );
    expect(accepted).toBeGreaterThan(500);
  }, 60_000);

  it('leaves out unknown top-level fields, and copies the open objects', () => {
    const read = readPulseEvent({ ...pulseValid, extra: 1 });
    expect(read).toStrictEqual(pulseEventSchema.parse(pulseValid));
    expect(read).not.toHaveProperty('extra');
    expect(read?.properties).not.toBe(pulseValid.properties);
  });
});

describe('readSinkBatch', () => {
  const letter = {
    customer_id: 'cust_1',
    index: 0,
    event_id: null,
    code: 'invalid_event',
    message: 'm',
    raw: { x: 1 },
    received_at: '2025-01-21T10:30:01.050Z',
  };
  /** Mostly valid: each field is junk one time in five, so both verdicts are common. */
  const mostly = <T>(good: fc.Arbitrary<T>) =>
    fc.oneof({ arbitrary: good, weight: 4 }, { arbitrary: junk, weight: 1 });
  const batch = fc.record(
    {
      customer_id: mostly(fc.constant('cust_1')),
      events: mostly(fc.array(fc.oneof(nearValidPulse, pulseCandidate), { maxLength: 3 })),
      dead_letters: mostly(
        fc.constantFrom([], [letter], [{ ...letter, index: -1 }], [{ ...letter, code: 1 }]),
      ),
      client_dropped: mostly(fc.nat()),
      traceparent: mostly(
        fc.constantFrom('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'nope'),
      ),
      extra: junk,
    },
    { requiredKeys: ['customer_id', 'events', 'dead_letters'] },
  );

  it('gives exactly what sinkBatchSchema.safeParse gives', () => {
    let accepted = 0;
    fc.assert(
      fc.property(batch, (value) => {
        const parsed = sinkBatchSchema.safeParse(value);
        expect(readSinkBatch(value)).toStrictEqual(parsed.success ? parsed.data : undefined);
        if (parsed.success) accepted++;
      }),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(100);
  }, 60_000);
});
