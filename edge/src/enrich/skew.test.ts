import { describe, expect, it } from 'vitest';
import { createTestEdge } from '../../test/support/test-app';
import { KEYS, nativeEvent } from '../../test/support/fixtures';
import { correctTimestamp } from './skew';

describe('clock-skew correction', () => {
  it('places an event by the edge clock: received_at − (sent_at − original_timestamp)', async () => {
    const edge = createTestEdge();
    edge.clock.now = Date.parse('2025-01-21T10:30:00.000Z');
    // The client's clock is 2 hours behind: it says it sent at 08:30:05, 5 s after the event.
    const res = await edge.post(`/v1/events?key=${KEYS.open}`, {
      sent_at: '2025-01-21T08:30:05.000Z',
      events: [
        nativeEvent({ timestamp: '2025-01-21T08:30:00.000Z' }),
        nativeEvent({ timestamp: '2025-01-21T10:30:00.000+02:00' }),
      ],
    });
    expect(res.status).toBe(200);
    const [first, second] = edge.sink.events();
    expect(first).toMatchObject({
      original_timestamp: '2025-01-21T08:30:00.000Z',
      sent_at: '2025-01-21T08:30:05.000Z',
      received_at: '2025-01-21T10:30:00.000Z',
      timestamp: '2025-01-21T10:29:55.000Z',
    });
    // 10:30+02:00 is 08:30Z: the offset is honoured before correcting.
    expect(second?.timestamp).toBe('2025-01-21T10:29:55.000Z');
  });

  it('keeps the client timestamp when the batch has no sent_at to measure the skew with', async () => {
    const edge = createTestEdge();
    await edge.post(`/v1/events?key=${KEYS.open}`, {
      events: [nativeEvent({ timestamp: '2025-01-21T08:30:00.000Z' })],
    });
    expect(edge.sink.events()[0]).toMatchObject({
      timestamp: '2025-01-21T08:30:00.000Z',
      sent_at: '2025-01-21T10:30:00.050Z',
    });
  });

  it('keeps the original when the correction would leave four-digit years', () => {
    const received = Date.parse('2025-01-01T00:00:00.000Z');
    const original = '9999-12-31T00:00:00.000Z';
    expect(
      correctTimestamp(
        original,
        Date.parse(original),
        Date.parse('0001-01-01T00:00:00.000Z'),
        received,
      ),
    ).toBe(original);
  });
});
