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
    fc.constantFrom('', 'a', 'x'.repeat(limit), 'x'.repeat(limit + 1), 'é'.repeat(limit)),
    fc.string({ maxLength: 12 }),
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
      fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 })),
    ),
    context,
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
  });

  it('accepts the contract example and refuses a broken copy', () => {
    expect(isClientEvent(valid)).toBe(true);
    expect(isClientEvent({ ...valid, event_type: 'purchase' })).toBe(false);
    expect(isClientEvent({ ...valid, context: { locale: 'x'.repeat(65) } })).toBe(false);
  });
});
