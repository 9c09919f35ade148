import { describe, expect, it, vi } from 'vitest';
import { createDelivery, type DeliveryEnv, type DeliveryOptions } from './delivery';
import { createKv } from './session';
import { createMemoryStore } from '../queue/local-store';
import type { Store } from '../queue/store';
import type { Outcome } from '../transport/send';
import type { Entry } from './batch';

const options: DeliveryOptions = {
  key: 'k',
  flushInterval: 10,
  maxBatchEvents: 3,
  maxBatchBytes: 60_000,
  maxQueueEvents: 5,
  maxQueueBytes: 1_000_000,
  retryBase: 100,
  retryCap: 1000,
};

/** A delivery over a shared memory store whose sends answer from `answers` (then ok). */
function setup(answers: Outcome[] = [], store: Store = { ...createMemoryStore(), shared: true }) {
  const sent: Array<{
    body: { sent_at: string; dropped?: number; events: Array<{ event_id: string }> };
    keepalive: boolean;
  }> = [];
  const emitted: Array<[string, unknown]> = [];
  const kv = createKv();
  const env: DeliveryEnv = {
    stores: [() => store],
    kv,
    send: vi.fn(async (body: string, keepalive: boolean) => {
      sent.push({ body: JSON.parse(body) as never, keepalive });
      return answers.shift() ?? { k: 'ok', rejected: [] };
    }),
    beacon: vi.fn(() => true),
    lock: (fn) => fn(),
    announce: vi.fn(),
    emit: (name, payload) => emitted.push([name, payload]),
    now: Date.now,
  };
  const delivery = createDelivery(options, env);
  return { delivery, sent, emitted, store, kv, env };
}

const entry = (n: number): Entry => {
  const id = `0193a6b2-7c1e-7abc-8def-${String(n).padStart(12, '0')}`;
  return [id, JSON.stringify({ event_id: id, n })];
};
const sentIds = (sent: ReturnType<typeof setup>['sent']) =>
  sent.flatMap((s) => s.body.events.map((e) => e.event_id));

describe('delivery', () => {
  it('keeps events in the store until the edge acknowledges them', async () => {
    const { delivery, store, sent } = setup([{ k: 'retry', status: 503 }]);
    delivery.enqueue(entry(1));
    await delivery.flush();
    expect(sent).toHaveLength(1);
    expect((await store.all()).map((e) => e[0])).toEqual([entry(1)[0]]);
    delivery.resume();
    await delivery.flush();
    expect(await store.all()).toEqual([]);
  });

  it('sends batches of at most maxBatchEvents, oldest first', async () => {
    const { delivery, sent } = setup();
    for (let i = 1; i <= 5; i++) delivery.enqueue(entry(i));
    await delivery.flush();
    expect(sent.map((s) => s.body.events.length)).toEqual([3, 2]);
    expect(sentIds(sent)).toEqual([1, 2, 3, 4, 5].map((i) => entry(i)[0]));
  });

  it('drops the oldest events beyond the queue bound, counts them and reports them in the next batch', async () => {
    const { delivery, sent, emitted, kv } = setup([{ k: 'retry' }]);
    delivery.enqueue(entry(1));
    await delivery.flush(); // fails: entry 1 stays queued
    for (let i = 2; i <= 7; i++) delivery.enqueue(entry(i));
    delivery.resume();
    await delivery.flush();
    expect(emitted).toContainEqual(['dropped', 2]);
    expect(sentIds(sent.slice(1))).toEqual([3, 4, 5, 6, 7].map((i) => entry(i)[0]));
    expect(sent[1]!.body.dropped).toBe(2);
    expect(kv.get('pulse:d:k')).toBe('0'); // reset once the batch that reported it was acknowledged
  });

  it('removes events the edge rejected and reports them, without retrying', async () => {
    const rejected = {
      index: 0,
      event_id: entry(1)[0],
      code: 'invalid_event' as const,
      message: 'bad',
    };
    const { delivery, store, emitted } = setup([{ k: 'ok', rejected: [rejected] }]);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    delivery.enqueue(entry(1));
    await delivery.flush();
    expect(await store.all()).toEqual([]);
    expect(emitted).toContainEqual(['rejected', rejected]);
    expect(warn).toHaveBeenCalled();
    warn.mockRestore();
  });

  it('splits a batch refused as too large until the offending event is alone, then drops only it', async () => {
    const { delivery, sent, store } = setup([
      { k: 'split', status: 413 },
      { k: 'ok', rejected: [] },
      { k: 'split', status: 413 },
    ]);
    for (let i = 1; i <= 3; i++) delivery.enqueue(entry(i));
    await delivery.flush();
    expect(sent.map((s) => s.body.events.length)).toEqual([3, 2, 1]);
    expect(await store.all()).toEqual([]);
    expect(sentIds(sent.slice(1))).toEqual([1, 2, 3].map((i) => entry(i)[0]));
  });

  it('stops sending on 401 and keeps the events for a later page', async () => {
    const { delivery, sent, store } = setup([{ k: 'stop', status: 401 }]);
    delivery.enqueue(entry(1));
    await delivery.flush();
    delivery.enqueue(entry(2));
    await delivery.flush();
    expect(sent).toHaveLength(1);
    expect(await store.all()).toHaveLength(2);
  });

  it('waits out Retry-After before the next attempt', async () => {
    const { delivery, sent } = setup([{ k: 'retry', after: 60_000, status: 429 }]);
    delivery.enqueue(entry(1));
    await delivery.flush();
    await delivery.flush();
    expect(sent).toHaveLength(1);
  });

  it('sends with keepalive when the page is hidden', async () => {
    const { delivery, sent } = setup();
    delivery.enqueue(entry(1));
    delivery.hide(false);
    await delivery.flush();
    expect(sent[0]?.keepalive).toBe(true);
  });

  it('journals unsaved events at unload and gives them back to the next page', async () => {
    const first = setup([], { ...createMemoryStore(), shared: true });
    first.delivery.enqueue(entry(1));
    first.delivery.hide(true); // page torn down before the store write
    expect(first.sent).toHaveLength(1);
    const journal = first.env.kv.keys('pulse:j:k:');
    expect(journal).toHaveLength(1);
    const next = setup();
    next.kv.set(journal[0]!, first.kv.get(journal[0]!)!);
    next.delivery.recover();
    await next.delivery.flush();
    expect(sentIds(next.sent)).toEqual([entry(1)[0]]);
  });

  it('moves to the next store when one fails, losing nothing', async () => {
    const broken: Store = {
      ...createMemoryStore(),
      shared: true,
      put: () => Promise.reject(new Error('quota')),
    };
    const good = createMemoryStore();
    const kv = createKv();
    const sent: string[] = [];
    const delivery = createDelivery(options, {
      stores: [() => broken, () => good],
      kv,
      send: async (body) => (sent.push(body), { k: 'ok', rejected: [] }),
      beacon: () => true,
      lock: (fn) => fn(),
      announce: () => {},
      emit: () => {},
      now: Date.now,
    });
    delivery.enqueue(entry(1));
    await delivery.flush();
    expect(sent.join()).toContain(entry(1)[0]);
  });
});
