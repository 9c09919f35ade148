import { describe, expect, it } from 'vitest';
import { clientEventSchema, describeIssues, eventBatchEnvelopeSchema } from './schema';
import { LIMITS } from './limits';

const valid = {
  event_id: '0193a6b2-7c1e-7abc-8def-0123456789ab',
  visitor_id: 'v1',
  session_id: 's1',
  event_type: 'page_view',
  event_name: 'pricing_page',
  properties: { url: '/pricing' },
  context: { locale: 'en-US', page: { path: '/pricing' } },
  timestamp: '2025-01-21T10:30:00.000Z',
};

describe('clientEventSchema', () => {
  it('accepts an event of the wire contract and keeps unknown context fields', () => {
    const parsed = clientEventSchema.parse({ ...valid, context: { ...valid.context, extra: 1 } });
    expect(parsed.context).toMatchObject({ extra: 1, locale: 'en-US' });
  });

  it('rejects an unknown event type with a reason that names the field', () => {
    const result = clientEventSchema.safeParse({ ...valid, event_type: 'purchase' });
    expect(result.success).toBe(false);
    if (!result.success) expect(describeIssues(result.error)).toMatch(/^event_type: /);
  });

  it('rejects a timestamp that is not ISO 8601', () => {
    expect(clientEventSchema.safeParse({ ...valid, timestamp: 'yesterday' }).success).toBe(false);
  });

  it('rejects an event_id longer than the contract allows', () => {
    const longId = 'x'.repeat(LIMITS.maxEventIdLength + 1);
    expect(clientEventSchema.safeParse({ ...valid, event_id: longId }).success).toBe(false);
  });
});

describe('eventBatchEnvelopeSchema', () => {
  it('refuses an empty batch and one over the event limit', () => {
    expect(eventBatchEnvelopeSchema.safeParse({ events: [] }).success).toBe(false);
    const events = Array.from({ length: LIMITS.maxBatchEvents + 1 }, () => valid);
    expect(eventBatchEnvelopeSchema.safeParse({ events }).success).toBe(false);
  });
});
