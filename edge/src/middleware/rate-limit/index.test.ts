import { describe, expect, it } from 'vitest';
import type { ErrorResponse } from '@pulse/contract';
import { createTestEdge } from '../../../test/support/test-app';
import { KEYS, nativeEvent } from '../../../test/support/fixtures';
import { takeTokens } from '../../rate-limit/token-bucket';

const path = `/v1/events?key=${KEYS.tight}`;

describe('per-customer rate limit', () => {
  it('answers 429 with Retry-After once the burst is spent, and lets events through again after refill', async () => {
    const edge = createTestEdge();
    for (let i = 0; i < 3; i++) {
      expect((await edge.post(path, { events: [nativeEvent()] })).status).toBe(200);
    }
    const limited = await edge.post(path, { events: [nativeEvent()] });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(((await limited.json()) as ErrorResponse).error.code).toBe('rate_limited');
    expect(edge.sink.events()).toHaveLength(3);

    edge.clock.now += 1_000;
    expect((await edge.post(path, { events: [nativeEvent()] })).status).toBe(200);
    expect(edge.sink.events()).toHaveLength(4);
  });

  it('counts events, not requests, and answers 429 with a Retry-After after which the batch fits', async () => {
    const edge = createTestEdge();
    expect((await edge.post(path, { events: [nativeEvent(), nativeEvent()] })).status).toBe(200);
    const three = { events: [nativeEvent(), nativeEvent(), nativeEvent()] };
    const waiting = await edge.post(path, three);
    expect(waiting.status).toBe(429);
    // One token left, three needed at 1 event/s: two seconds, and then it passes.
    expect(waiting.headers.get('retry-after')).toBe('2');
    edge.clock.now += 2_000;
    expect((await edge.post(path, three)).status).toBe(200);
    expect(edge.sink.events()).toHaveLength(5);
  });

  it('never lets a batch larger than the burst through: 413 naming the largest request that fits', async () => {
    // Before, such a batch was charged only the burst: a key of 1 event/s took 1,000 events.
    const edge = createTestEdge();
    const thousand = { events: Array.from({ length: 1000 }, () => nativeEvent()) };
    for (const wait of [0, 60_000]) {
      edge.clock.now += wait;
      const refused = await edge.post(path, thousand);
      expect(refused.status).toBe(413);
      expect(((await refused.json()) as ErrorResponse).error).toEqual({
        code: 'payload_too_large',
        message:
          "a request of 1000 events is over customer cust_tight's burst of 3 events: send at most 3 events per request",
      });
    }
    expect(edge.sink.events()).toHaveLength(0);
    // The bucket was not drained by the refusals.
    expect(
      (await edge.post(path, { events: [nativeEvent(), nativeEvent(), nativeEvent()] })).status,
    ).toBe(200);
  });

  it('keeps customers apart', async () => {
    const edge = createTestEdge();
    for (let i = 0; i < 4; i++) await edge.post(path, { events: [nativeEvent()] });
    expect(
      (await edge.post(`/v1/events?key=${KEYS.open}`, { events: [nativeEvent()] })).status,
    ).toBe(200);
  });

  it('absorbs a 10x spike over the base rate with burst plus client back-off, losing nothing', async () => {
    // Base rate 10 events/s, burst 50. A client sends 100 events/s for 2 s (a 10x spike) in
    // 10-event batches every 100 ms and, like the SDK, keeps a refused batch and retries it
    // after Retry-After. Everything sent is eventually accepted exactly once.
    const edge = createTestEdge({
      keys: {
        pk_spiky: {
          customer_id: 'cust_spiky',
          allowed_origins: ['*'],
          rate: { per_second: 10, burst: 50 },
          routing: 'new',
        },
      },
    });
    const queue: Array<ReturnType<typeof nativeEvent>[]> = [];
    const sent = new Set<string>();
    let retryAt = 0;
    let refused = 0;
    for (let tick = 0; tick < 400; tick++) {
      if (tick < 20) {
        const batch = Array.from({ length: 10 }, () => nativeEvent());
        batch.forEach((e) => sent.add(e.event_id));
        queue.push(batch);
      }
      if (queue.length && edge.clock.now >= retryAt) {
        const res = await edge.post('/v1/events?key=pk_spiky', { events: queue[0] });
        if (res.status === 200) queue.shift();
        else {
          expect(res.status).toBe(429);
          refused++;
          retryAt = edge.clock.now + Number(res.headers.get('retry-after')) * 1000;
        }
      }
      edge.clock.now += 100;
    }
    expect(queue).toHaveLength(0);
    expect(refused).toBeGreaterThan(0);
    const delivered = edge.sink.events().map((e) => e.event_id);
    expect(delivered).toHaveLength(sent.size);
    expect(new Set(delivered)).toEqual(sent);
  });
});

describe('takeTokens', () => {
  const limit = { per_second: 2, burst: 4 };
  it('starts full, refills at the rate, never above the burst', () => {
    let step = takeTokens(undefined, limit, 4, 0);
    expect(step.decision).toEqual({ ok: true });
    step = takeTokens(step.state, limit, 1, 0);
    expect(step.decision).toEqual({ ok: false, retryAfterSeconds: 1 });
    step = takeTokens(step.state, limit, 3, 1_500);
    expect(step.decision).toEqual({ ok: true });
    expect(step.state.tokens).toBeCloseTo(0);
    step = takeTokens(step.state, limit, 1, 60_000);
    expect(step.state.tokens).toBe(3);
  });

  it('charges every event and refuses a cost over the burst whatever the bucket holds', () => {
    expect(takeTokens(undefined, limit, 5, 0).decision).toEqual({ ok: false, overBurst: true });
    const drained = takeTokens(undefined, limit, 4, 0).state;
    expect(takeTokens(drained, limit, 4, 0).decision).toEqual({ ok: false, retryAfterSeconds: 2 });
    expect(takeTokens(drained, limit, 4, 2_000).decision).toEqual({ ok: true });
  });
});
