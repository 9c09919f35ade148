import { describe, expect, it } from 'vitest';
import type { ReceiptsResponse } from '@pulse/contract';
import { createMemoryReceiptStore } from '../receipts/memory-receipt-store';
import { createTestEdge } from '../../test/support/test-app';
import { KEYS, nativeEvent } from '../../test/support/fixtures';

const sentAt = '2025-01-21T10:30:00.000Z';
const ask = async (edge: ReturnType<typeof createTestEdge>, ids: string[], key = KEYS.open) => {
  const res = await edge.post(`/v1/receipts?key=${key}`, { event_ids: ids });
  expect(res.status).toBe(200);
  return ((await res.json()) as ReceiptsResponse).received;
};

describe('POST /v1/receipts', () => {
  it('names the events of an unload batch once they are durable, and no others', async () => {
    const edge = createTestEdge({ deps: { receipts: createMemoryReceiptStore() } });
    const [left, normal] = [nativeEvent(), nativeEvent()];
    const bad = { ...nativeEvent(), event_type: 'nope' };
    expect(
      (
        await edge.post(`/v1/events?key=${KEYS.open}`, {
          sent_at: sentAt,
          unload: true,
          events: [left, bad],
        })
      ).status,
    ).toBe(200);
    expect(
      (await edge.post(`/v1/events?key=${KEYS.open}`, { sent_at: sentAt, events: [normal] }))
        .status,
    ).toBe(200);
    // The rejected one was answered too: the client drops it, so it must not resend it.
    expect(await ask(edge, [left.event_id, bad.event_id, normal.event_id, 'never-sent'])).toEqual([
      left.event_id,
      bad.event_id,
    ]);
  });

  it('keeps no receipt when the durable write failed', async () => {
    const edge = createTestEdge({ deps: { receipts: createMemoryReceiptStore() } });
    edge.sink.failing = true;
    const event = nativeEvent();
    expect(
      (
        await edge.post(`/v1/events?key=${KEYS.open}`, {
          sent_at: sentAt,
          unload: true,
          events: [event],
        })
      ).status,
    ).toBe(503);
    expect(await ask(edge, [event.event_id])).toEqual([]);
  });

  it('knows nothing without a receipt store, so clients resend', async () => {
    const edge = createTestEdge();
    const event = nativeEvent();
    await edge.post(`/v1/events?key=${KEYS.open}`, {
      sent_at: sentAt,
      unload: true,
      events: [event],
    });
    expect(await ask(edge, [event.event_id])).toEqual([]);
  });

  it('refuses a body without ids, and a request without a valid key', async () => {
    const edge = createTestEdge({ deps: { receipts: createMemoryReceiptStore() } });
    expect((await edge.post(`/v1/receipts?key=${KEYS.open}`, { event_ids: [] })).status).toBe(400);
    expect((await edge.post('/v1/receipts?key=pk_nope', { event_ids: ['a'] })).status).toBe(401);
  });
});

describe('createMemoryReceiptStore', () => {
  it('forgets receipts after their time and keeps customers apart', async () => {
    let now = 0;
    const store = createMemoryReceiptStore({ ttlMs: 1000, now: () => now });
    await store.remember('a', ['e1']);
    expect(await store.known('b', ['e1'])).toEqual([]);
    expect(await store.known('a', ['e1'])).toEqual(['e1']);
    now = 1001;
    expect(await store.known('a', ['e1'])).toEqual([]);
  });

  it('stays within its bound, evicting the oldest first', async () => {
    const store = createMemoryReceiptStore({ max: 3 });
    await store.remember('a', ['1', '2', '3']);
    await store.remember('a', ['4']);
    expect(await store.known('a', ['1', '2', '3', '4'])).toEqual(['2', '3', '4']);
  });
});
