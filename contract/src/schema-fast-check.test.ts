import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientEventSchema, isClientEvent } from './schema';
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
