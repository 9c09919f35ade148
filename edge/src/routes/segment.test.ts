import { describe, expect, it } from 'vitest';
import { LIMITS, type ErrorResponse, type IngestResponse, type PulseEvent } from '@pulse/contract';
import { createTestEdge } from '../../test/support/test-app';
import { keyConfigs } from '../../test/support/fixtures';
import {
  SPEC_WRITE_KEY,
  aliasExample,
  batchExample,
  groupExample,
  identifyExample,
  integrationsExample,
  pageExample,
  screenExample,
  trackExample,
} from '../../test/support/segment-spec-examples';

/** The spec's write key, known to the edge as a Segment customer's key. */
const keys = {
  [SPEC_WRITE_KEY]: { ...keyConfigs()['pk_test_open']!, customer_id: 'cust_segment' },
};
const basic = {
  authorization: `Basic ${btoa(`${SPEC_WRITE_KEY}:`)}`,
  'content-type': 'application/json',
};

async function send(path: string, body: unknown, headers: Record<string, string> = basic) {
  const edge = createTestEdge({ keys });
  const res = await edge.post(path, body, headers);
  return { edge, res, body: (await res.json()) as IngestResponse & ErrorResponse };
}

function only(events: PulseEvent[]): PulseEvent {
  expect(events).toHaveLength(1);
  return events[0]!;
}

describe('Segment HTTP Tracking API, with the examples of its published spec', () => {
  it('maps identify: userId, traits as properties, writeKey in the body as the key', async () => {
    // The spec example authenticates with writeKey in the body alone.
    const { edge, res, body } = await send('/v1/identify', identifyExample, {
      'content-type': 'application/json',
    });
    expect(res.status).toBe(200);
    expect(body).toEqual({ accepted: 1, rejected: [] });
    const event = only(edge.sink.events());
    expect(event).toMatchObject({
      customer_id: 'cust_segment',
      visitor_id: '019mr8mf4r',
      user_id: '019mr8mf4r',
      event_type: 'identify',
      event_name: 'identify',
      properties: identifyExample.traits,
      original_timestamp: '2012-12-02T00:30:08.276Z',
    });
    expect(event.context.segment_call).toBe('identify');
    // The spec's context.ip is the user's IP: hashed like the connecting one, never kept raw.
    expect(event.context.ip).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(edge.sink.batches)).not.toContain('24.5.68.47');
  });

  it('maps track: event → event_name, properties kept, a custom event', async () => {
    const { edge, res } = await send('/v1/track', trackExample);
    expect(res.status).toBe(200);
    expect(only(edge.sink.events())).toMatchObject({
      event_type: 'custom',
      event_name: 'Item Purchased',
      user_id: '019mr8mf4r',
      properties: { name: 'Leap to Conclusions Mat', revenue: 14.99 },
      timestamp: '2012-12-02T00:30:12.984Z',
    });
  });

  it('maps page and screen to page views named by the call', async () => {
    for (const [path, example, call] of [
      ['/v1/page', pageExample, 'page'],
      ['/v1/screen', screenExample, 'screen'],
    ] as const) {
      const { edge, res } = await send(path, example);
      expect(res.status).toBe(200);
      const event = only(edge.sink.events());
      expect(event).toMatchObject({ event_type: 'page_view', event_name: 'Tracking HTTP API' });
      expect(event.context.segment_call).toBe(call);
    }
  });

  it('maps group to a custom event "group" with group_id and traits', async () => {
    const { edge, res } = await send('/v1/group', groupExample);
    expect(res.status).toBe(200);
    expect(only(edge.sink.events())).toMatchObject({
      event_type: 'custom',
      event_name: 'group',
      user_id: '019mr8mf4r',
      properties: { group_id: '8e9df332ac', traits: groupExample.traits },
    });
  });

  it('maps alias: previousId → previous_id, userId → user_id', async () => {
    const { edge, res } = await send('/v1/alias', aliasExample);
    expect(res.status).toBe(200);
    expect(only(edge.sink.events())).toMatchObject({
      event_type: 'alias',
      event_name: 'alias',
      user_id: '019mr8mf4r',
      previous_id: '39239-239239-239239-23923',
      visitor_id: '019mr8mf4r',
    });
  });

  it('accepts the spec batch, merges its context into each item, and rejects its two non-ISO timestamps', async () => {
    const { edge, res, body } = await send('/v1/batch', batchExample);
    expect(res.status).toBe(200);
    expect(body.accepted).toBe(2);
    expect(body.rejected).toEqual([
      {
        index: 2,
        event_id: null,
        code: 'invalid_event',
        message: expect.stringMatching(/^timestamp: /),
      },
      {
        index: 3,
        event_id: null,
        code: 'invalid_event',
        message: expect.stringMatching(/^timestamp: /),
      },
    ]);
    const events = edge.sink.events();
    expect(events.map((e) => [e.event_type, e.user_id])).toEqual([
      ['identify', '019mr8mf4r'],
      ['custom', '019mr8mf4r'],
    ]);
    for (const event of events) {
      expect(event.context.device).toEqual({ type: 'phone', name: 'Apple iPhone 6' });
    }
    expect(edge.sink.deadLetters().map((l) => l.raw)).toEqual([
      batchExample.batch[2],
      batchExample.batch[3],
    ]);
  });

  it('ignores integrations (destination selection is not Pulse routing)', async () => {
    const { edge, res } = await send('/v1/identify', integrationsExample);
    expect(res.status).toBe(200);
    expect(JSON.stringify(edge.sink.events())).not.toContain('Kissmetrics');
  });
});

describe('Segment protocol details', () => {
  it('uses messageId as event_id and anonymousId as visitor_id', async () => {
    const message = {
      type: 'track',
      messageId: 'ajs-next-1700000000000-abc',
      anonymousId: 'anon-1',
      userId: 'user-1',
      event: 'Signed Up',
      timestamp: '2025-01-21T10:29:58.000Z',
      sentAt: '2025-01-21T10:29:59.000Z',
      context: {
        userAgent: 'SegmentLib/1.0',
        locale: 'de-DE',
        library: { name: 'analytics-node', version: '2.1.0' },
      },
    };
    const { edge } = await send('/v1/track', message);
    expect(only(edge.sink.events())).toMatchObject({
      event_id: 'ajs-next-1700000000000-abc',
      visitor_id: 'anon-1',
      user_id: 'user-1',
      sent_at: '2025-01-21T10:29:59.000Z',
      // received 10:30:00.050, sent 1 s after the event: the event happened 1 s before arrival.
      timestamp: '2025-01-21T10:29:59.050Z',
      context: {
        user_agent: 'SegmentLib/1.0',
        locale: 'de-DE',
        library: { name: 'analytics-node', version: '2.1.0' },
      },
    });
    expect(only(edge.sink.events()).context).not.toHaveProperty('userAgent');
  });

  it('gives a message without messageId the same event_id on every resend, so it is counted once', async () => {
    const first = await send('/v1/track', { ...trackExample, sentAt: '2025-01-21T10:30:00.000Z' });
    const resend = await send('/v1/track', { ...trackExample, sentAt: '2025-01-21T10:31:00.000Z' });
    const other = await send('/v1/track', { ...trackExample, event: 'Item Returned' });
    const id = only(first.edge.sink.events()).event_id;
    expect(id).toMatch(/^seg-[0-9a-f]{32}$/);
    expect(only(resend.edge.sink.events()).event_id).toBe(id);
    expect(only(other.edge.sink.events()).event_id).not.toBe(id);
  });

  it('takes the write key from Basic auth, with or without the colon', async () => {
    const { writeKey: _omitted, ...message } = trackExample;
    for (const credentials of [`${SPEC_WRITE_KEY}:`, SPEC_WRITE_KEY]) {
      const { res } = await send('/v1/track', message, {
        authorization: `Basic ${btoa(credentials)}`,
        'content-type': 'application/json',
      });
      expect(res.status, credentials).toBe(200);
    }
  });

  it('rejects messages the spec makes invalid, by Segment field name, and delivers the rest', async () => {
    const valid = { type: 'track', userId: 'u1', event: 'Ok', messageId: 'm-ok' };
    const { edge, body } = await send('/v1/batch', {
      batch: [
        { type: 'track', event: 'No One', messageId: 'm-1' },
        { type: 'purchase', userId: 'u1', messageId: 'm-2' },
        { type: 'track', userId: 'u1', messageId: 'm-3' },
        { type: 'alias', userId: 'u1', messageId: 'm-4' },
        { type: 'group', userId: 'u1', messageId: 'm-5' },
        { type: 'track', userId: { id: 1 }, event: 'X', messageId: 'm-6' },
        { type: 'track', userId: 'u1', event: 'X', messageId: 'x'.repeat(101) },
        'not a message',
        valid,
      ],
    });
    expect(body.accepted).toBe(1);
    expect(body.rejected.map((r) => [r.index, r.event_id, r.message])).toEqual([
      [0, 'm-1', 'anonymousId or userId is required'],
      [1, 'm-2', expect.stringMatching(/^type: must be one of/)],
      [2, 'm-3', expect.stringMatching(/^event: /)],
      [3, 'm-4', 'an alias call needs userId and previousId'],
      [4, 'm-5', expect.stringMatching(/^groupId: /)],
      [5, 'm-6', expect.stringMatching(/^userId: /)],
      [6, null, expect.stringMatching(/^messageId: /)],
      [7, null, 'a message must be a JSON object'],
    ]);
    expect(edge.sink.events().map((e) => e.event_id)).toEqual(['m-ok']);
    expect(edge.sink.deadLetters()).toHaveLength(8);
  });

  it('names a page view without a name after its title, then its path', async () => {
    const { edge } = await send('/v1/page', {
      anonymousId: 'a1',
      category: 'Docs',
      properties: { path: '/docs', url: 'https://x.example/docs' },
      context: { page: { title: 'Docs home' } },
    });
    expect(only(edge.sink.events())).toMatchObject({
      event_name: 'Docs home',
      properties: { category: 'Docs', path: '/docs', url: 'https://x.example/docs' },
    });
  });

  it('fills a missing timestamp from sentAt, else from the arrival time', async () => {
    const { edge } = await send('/v1/batch', {
      sentAt: '2025-01-21T10:29:00.000Z',
      batch: [{ type: 'track', userId: 'u1', event: 'A' }],
    });
    expect(only(edge.sink.events())).toMatchObject({
      original_timestamp: '2025-01-21T10:29:00.000Z',
      timestamp: '2025-01-21T10:30:00.050Z',
    });
    const untimed = await send('/v1/track', { userId: 'u1', event: 'B' });
    expect(only(untimed.edge.sink.events()).timestamp).toBe('2025-01-21T10:30:00.050Z');
  });

  it('answers 413 past 2,500 messages in a batch and past 32 KB for a single call', async () => {
    const many = Array.from({ length: LIMITS.maxSegmentBatchEvents + 1 }, () => ({
      type: 'track',
    }));
    const batch = await send('/v1/batch', { batch: many });
    expect(batch.res.status).toBe(413);
    expect(batch.body.error.code).toBe('payload_too_large');
    const big = await send('/v1/track', {
      ...trackExample,
      properties: { x: 'y'.repeat(LIMITS.maxEventBytes) },
    });
    expect(big.res.status).toBe(413);
    expect(big.body.error.code).toBe('event_too_large');
  });

  it('answers 400 for a batch body without a batch array, an empty batch or a bad batch context', async () => {
    for (const body of [
      {},
      { batch: {} },
      { batch: [] },
      { batch: [trackExample], context: 'x' },
      [trackExample],
    ]) {
      const { res, body: answer } = await send('/v1/batch', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(answer.error.code).toBe('invalid_batch');
    }
    const single = await send('/v1/track', ['not', 'an', 'object']);
    expect(single.res.status).toBe(400);
  });

  it('does not keep the write key in a dead letter', async () => {
    const { edge, body } = await send('/v1/track', { ...trackExample, event: '' });
    expect(body.accepted).toBe(0);
    expect(JSON.stringify(edge.sink.deadLetters())).not.toContain(SPEC_WRITE_KEY);
  });
});
