/**
 * How webhook deliveries are retried: bounded attempts, exponential back-off with equal
 * jitter (half of each step fixed, half random), so a receiver that is down is not hammered
 * and many deliveries failing together do not come back in lockstep.
 */
export const WEBHOOK_RETRY = {
  /** POSTs per delivery, the first included; after the last failure it is `failed`. */
  attempts: 10,
  /** First back-off step (ms); each failure doubles it. */
  baseMs: 500,
  /** Longest step (ms), and the longest `Retry-After` honoured. */
  capMs: 10 * 60_000,
  /** A POST taking longer fails (ms). */
  timeoutMs: 10_000,
} as const;

/** Webhook POSTs in flight at once: in all, and for one customer. */
export const WEBHOOK_CONCURRENCY = {
  total: 32,
  perCustomer: 4,
} as const;

/** Back-off after the `failures`-th failed attempt (1-based), in ms. */
export function retryDelayMs(failures: number, random: () => number = Math.random): number {
  const step = Math.min(WEBHOOK_RETRY.capMs, WEBHOOK_RETRY.baseMs * 2 ** (failures - 1));
  return Math.round(step / 2 + (random() * step) / 2);
}

/** A receiver's `Retry-After` in ms (seconds form only), capped; null when absent or bad. */
export function retryAfterMs(header: string | null): number | null {
  if (!header || !/^\d{1,6}$/.test(header.trim())) return null;
  return Math.min(WEBHOOK_RETRY.capMs, Number(header.trim()) * 1000);
}
