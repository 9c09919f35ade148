import { describe, expect, it } from 'vitest';
import type { GraphQLError } from 'graphql';
import { checkInt, checkRange, INPUT_BOUNDS } from './input-bounds';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const FROM = Date.UTC(2026, 11, 1);

function refusal(run: () => unknown): GraphQLError {
  try {
    run();
  } catch (error) {
    return error as GraphQLError;
  }
  throw new Error('expected the input to be refused, but it was accepted');
}

describe('dashboard range and bucket bounds', () => {
  it('accepts a range exactly as long as its bucket width allows', () => {
    for (const bucket of ['MINUTE', 'HOUR', 'DAY'] as const) {
      const max = INPUT_BOUNDS.rangeMs[bucket];
      expect(checkRange(FROM, FROM + max, max, `with ${bucket} buckets`)).toEqual({
        from: FROM,
        to: FROM + max,
      });
    }
  });

  it('refuses a range one millisecond longer than its bucket width allows, as BAD_USER_INPUT on from', () => {
    const max = INPUT_BOUNDS.rangeMs.MINUTE;
    const error = refusal(() => checkRange(FROM, FROM + max + 1, max, 'with MINUTE buckets'));
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'from' });
    expect(error.message).toBe('from: the range may span at most 2 days with MINUTE buckets');
  });

  it('keeps every bucket width at or under ~2,900 buckets per series value', () => {
    const widths = { MINUTE: MINUTE, HOUR: 60 * MINUTE, DAY: DAY } as const;
    for (const bucket of ['MINUTE', 'HOUR', 'DAY'] as const) {
      expect(INPUT_BOUNDS.rangeMs[bucket] / widths[bucket]).toBeLessThanOrEqual(2_928);
    }
  });

  it('refuses an empty or reversed range, as BAD_USER_INPUT on to', () => {
    for (const to of [FROM, FROM - 1]) {
      const error = refusal(() => checkRange(FROM, to, DAY, 'for funnel'));
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'to' });
    }
  });

  it('refuses a breakdown limit outside 1..100, naming the field and the value', () => {
    for (const value of [0, 101, 1.5]) {
      const error = refusal(() =>
        checkInt('breakdownLimit', value, 1, INPUT_BOUNDS.maxBreakdownLimit),
      );
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'breakdownLimit' });
      expect(error.message).toBe(`breakdownLimit: must be an integer from 1 to 100; got ${value}`);
    }
    expect(checkInt('breakdownLimit', 100, 1, INPUT_BOUNDS.maxBreakdownLimit)).toBe(100);
  });
});
