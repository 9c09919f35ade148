/**
 * Delay before retry number `attempt` (0-based): exponential with full jitter, capped
 * (the AWS "full jitter" scheme: a random point in [0, min(cap, base·2^attempt)]).
 */
export const backoffDelay = (
  attempt: number,
  base: number,
  cap: number,
  random = Math.random,
): number => Math.floor(random() * Math.min(cap, base * 2 ** attempt));

/** Milliseconds to wait from a `Retry-After` header (seconds or an HTTP date), or undefined. */
export const parseRetryAfter = (value: string | null, now = Date.now()): number | undefined => {
  if (!value) return undefined;
  const seconds = Number(value);
  if (value.trim() && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return date ? Math.max(0, date - now) : undefined;
};
