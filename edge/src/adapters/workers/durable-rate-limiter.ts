import type { RateLimit } from '../../config/key-config';
import type { RateLimiter } from '../../rate-limit/rate-limiter';
import type { RateLimiterObject } from './rate-limiter-object';
import { jsonLog, type EdgeLog } from '../../observe/edge-log';

/** How long an isolate may spend leased tokens; what is left then is dropped. */
export const LEASE_MS = 1000;
/** Customers an isolate keeps leases for; the oldest goes first. */
const MAX_LEASES = 10_000;

/** What an isolate knows of a customer's bucket: tokens it took ahead of need, and when. */
interface Lease {
  tokens: number;
  /** Until when the tokens may be spent (ms). */
  until: number;
  /** When this isolate last asked the object for the customer (ms). */
  askedAt: number;
  /** A call taking a lease is on its way: the takes beside it ask for none. */
  leasing: boolean;
}

/**
 * How many tokens an isolate asks for ahead of need: a quarter second of the customer's rate,
 * and never more than a quarter of its burst, so that a few isolates never hold the bucket.
 */
export const leaseSize = (limit: RateLimit): number =>
  Math.floor(Math.min(limit.per_second / 4, limit.burst / 4));

/**
 * The Workers limiter: asks the customer's {@link RateLimiterObject}. An isolate that asked the
 * object for a customer less than {@link LEASE_MS} ago is busy with it: it then also takes a
 * lease ({@link leaseSize} tokens more) and spends it by itself for up to {@link LEASE_MS}, so a
 * busy customer costs one object call per lease instead of one per request (the call was about
 * a third of workerd's CPU in `npm run bench -- edge`). Leased tokens come out of the bucket, so
 * it is never overdrawn; tokens leased and not spent in time are lost, at most one lease per
 * isolate each time a customer's traffic there stops. A customer sending now and then is never
 * leased to. If the object cannot be reached the request goes through (fails open, logged):
 * the limiter protects capacity, and refusing every customer's events during a Durable Object
 * outage would do more harm.
 */
export function createDurableRateLimiter(
  namespace: DurableObjectNamespace<RateLimiterObject>,
  log: EdgeLog = jsonLog(),
  now: () => number = Date.now,
): RateLimiter {
  const leases = new Map<string, Lease>();
  const leaseOf = (customerId: string, at: number): Lease => {
    let lease = leases.get(customerId);
    if (!lease) {
      if (leases.size >= MAX_LEASES) leases.delete(leases.keys().next().value as string);
      lease = { tokens: 0, until: 0, askedAt: -Infinity, leasing: false };
      leases.set(customerId, lease);
    }
    if (lease.until <= at) lease.tokens = 0;
    return lease;
  };
  return {
    async take(customerId, limit, cost) {
      const need = Math.max(cost, 1);
      const at = now();
      const lease = leaseOf(customerId, at);
      if (lease.tokens >= need) {
        lease.tokens -= need;
        return { ok: true };
      }
      // One lease at a time: concurrent takes that each took one would hold the bucket.
      const extra = at - lease.askedAt < LEASE_MS && !lease.leasing ? leaseSize(limit) : 0;
      lease.askedAt = at;
      lease.leasing ||= extra > 0;
      try {
        const stub = namespace.get(namespace.idFromName(customerId));
        const { leased, ...decision } = await stub.take(limit, cost, extra);
        if (leased) {
          const back = now();
          lease.tokens = (lease.until > back ? lease.tokens : 0) + leased;
          lease.until = back + LEASE_MS;
        }
        return decision;
      } catch (error) {
        const fields = { customer: customerId, err: error };
        log.error(fields, 'edge: rate limiter unreachable, letting through');
        return { ok: true };
      } finally {
        if (extra > 0) lease.leasing = false;
      }
    },
  };
}
