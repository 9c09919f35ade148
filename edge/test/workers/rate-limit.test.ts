import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { RateLimit } from '../../src/config/key-config';
import {
  createDurableRateLimiter,
  LEASE_MS,
  leaseSize,
} from '../../src/adapters/workers/durable-rate-limiter';
import type { RateLimiterObject } from '../../src/adapters/workers/rate-limiter-object';

const namespace = env.RATE_LIMITER as DurableObjectNamespace<RateLimiterObject>;
let sequence = 0;
const customer = () => `cust_lease_${++sequence}_${Date.now()}`;
const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined };

/** The real objects, with each call's extra (the lease asked for) written down. */
function recorded(): { namespace: DurableObjectNamespace<RateLimiterObject>; extras: number[] } {
  const extras: number[] = [];
  const wrapped = {
    idFromName: (name: string) => namespace.idFromName(name),
    get: (id: DurableObjectId) => {
      const stub = namespace.get(id);
      return {
        take: (limit: RateLimit, cost: number, extra = 0) => {
          extras.push(extra);
          return stub.take(limit, cost, extra);
        },
      };
    },
  };
  return { namespace: wrapped as unknown as DurableObjectNamespace<RateLimiterObject>, extras };
}

describe('the Workers rate limiter: leases from the Durable Object', () => {
  const limit: RateLimit = { per_second: 400, burst: 1000 };

  it('asks the object once per lease while an isolate is busy with a customer', async () => {
    const objects = recorded();
    let clock = 1_000_000;
    const limiter = createDurableRateLimiter(objects.namespace, quiet as never, () => clock);
    const id = customer();
    const answers = [];
    for (let i = 0; i < 60; i++) answers.push(await limiter.take(id, limit, 1));
    expect(answers.every((answer) => answer.ok)).toBe(true);
    // The first take asks for no lease (a customer seen once is not busy), the second takes
    // one of a quarter second of the rate, and the next 58 spend it.
    expect(leaseSize(limit)).toBe(100);
    expect(objects.extras).toEqual([0, 100]);
    // A lease is spent within LEASE_MS or lost; a customer quiet for that long is not busy.
    clock += LEASE_MS;
    expect((await limiter.take(id, limit, 1)).ok).toBe(true);
    expect(objects.extras).toEqual([0, 100, 0]);
  });

  it('takes one lease at a time, however many takes miss at once', async () => {
    const objects = recorded();
    const limiter = createDurableRateLimiter(objects.namespace, quiet as never, () => 5_000);
    const id = customer();
    await limiter.take(id, limit, 1);
    const answers = await Promise.all(Array.from({ length: 20 }, () => limiter.take(id, limit, 1)));
    expect(answers.every((answer) => answer.ok)).toBe(true);
    expect(objects.extras.filter((extra) => extra > 0)).toEqual([100]);
  });

  it('never lets through more than the bucket holds', async () => {
    const small: RateLimit = { per_second: 40, burst: 40 };
    const limiter = createDurableRateLimiter(namespace, quiet as never);
    const id = customer();
    const started = Date.now();
    let accepted = 0;
    for (let i = 0; i < 120; i++) if ((await limiter.take(id, small, 1)).ok) accepted++;
    const refilled = (small.per_second * (Date.now() - started)) / 1000;
    expect(accepted).toBeGreaterThanOrEqual(small.burst);
    // The object reads its own clock: one token of slack for the two clocks' granularity.
    expect(accepted).toBeLessThanOrEqual(small.burst + Math.ceil(refilled) + 1);
  });
});
