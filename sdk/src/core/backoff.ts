/**
 * Wait before retry number `attempt` (0-based): "full jitter", a uniform draw in
 * [0, min(cap, base·2^attempt)), so that many clients recovering at once spread out. `draw`
 * is a random number in [0, 1).
 */
export const backoff = (attempt: number, base: number, cap: number, draw: number): number =>
  draw * Math.min(cap, base * 2 ** attempt);

/**
 * Milliseconds to wait from a `Retry-After` header (delta-seconds or an HTTP date, RFC 9110
 * section 10.2.3); undefined when absent or unreadable, 0 for a date in the past.
 */
export const retryAfter = (value: string | null, now: number): number | undefined => {
  const ms = isNaN(+value!) ? Date.parse(value!) - now : +value! * 1000;
  return value?.trim() && !isNaN(ms) ? Math.max(0, ms) : undefined;
};
