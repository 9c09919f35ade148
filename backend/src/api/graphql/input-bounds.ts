import { badUserInput } from './graphql-errors';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * What a dashboard query may ask for. Each bound keeps one query's work and answer small: at
 * most ~2,900 buckets per series value, 1,000 rows per list.
 */
export const INPUT_BOUNDS = {
  /** Longest [from, to) per bucket width. */
  rangeMs: { MINUTE: 2 * DAY, HOUR: 31 * DAY, DAY: 366 * DAY },
  /** Longest [from, to) of topPages, funnel and userCounts. */
  listRangeMs: 31 * DAY,
  maxLimit: 1000,
  maxBreakdownLimit: 100,
  funnelSteps: { min: 2, max: 10 },
  /** windowSeconds of a funnel: 1 s to 31 days. */
  funnelWindowSeconds: { min: 1, max: 31 * 86_400 },
  /** Longest filter or step string (page paths, names). */
  maxTextLength: 1000,
  /** liveVisitors and the subscriptions' counts look this far back. */
  liveWindowMs: 5 * 60_000,
  /** recentEvents looks this far back. */
  recentWindowMs: DAY,
} as const;

/** A checked [from, to) in epoch ms. */
export interface TimeRange {
  from: number;
  to: number;
}

/** `from < to`, at most `maxMs` apart (`what` says which bound, for the message). */
export function checkRange(from: number, to: number, maxMs: number, what: string): TimeRange {
  if (!(from < to)) throw badUserInput('to', 'must be later than from');
  if (to - from > maxMs) {
    const span = maxMs % DAY === 0 ? `${maxMs / DAY} days` : `${maxMs / HOUR} hours`;
    throw badUserInput('from', `the range may span at most ${span} ${what}`);
  }
  return { from, to };
}

/** An integer in [min, max]. */
export function checkInt(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw badUserInput(field, `must be an integer from ${min} to ${max}; got ${value}`);
  }
  return value;
}

/** A list limit, 1..1000. */
export const checkLimit = (value: number, field = 'limit'): number =>
  checkInt(field, value, 1, INPUT_BOUNDS.maxLimit);

/** An optional exact-match string, at most 1,000 characters. */
export function checkText(field: string, value: string | null | undefined): string | undefined {
  if (value == null) return undefined;
  if (value.length > INPUT_BOUNDS.maxTextLength) {
    throw badUserInput(field, `must be at most ${INPUT_BOUNDS.maxTextLength} characters`);
  }
  return value;
}
