import { describe, expect, it } from 'vitest';
import { backoff, retryAfter } from './backoff';

describe('backoff', () => {
  it('draws a full-jitter wait below base·2^attempt', () => {
    expect(backoff(0, 1000, 60_000, 0.999)).toBeCloseTo(999);
    expect(backoff(3, 1000, 60_000, 0.5)).toBe(4000);
    expect(backoff(3, 1000, 60_000, 0)).toBe(0);
  });

  it('never goes past the cap, however many attempts', () => {
    for (const attempt of [6, 10, 50, 2000]) {
      expect(backoff(attempt, 1000, 60_000, 0.999)).toBeLessThan(60_000);
      expect(backoff(attempt, 1000, 60_000, 0.999)).toBeGreaterThan(59_000);
    }
  });
});

describe('retryAfter', () => {
  const now = Date.parse('2026-11-25T10:00:00Z');

  it('reads delta-seconds', () => {
    expect(retryAfter('2', now)).toBe(2000);
    expect(retryAfter('0', now)).toBe(0);
    expect(retryAfter(' 120 ', now)).toBe(120_000);
  });

  it('reads an HTTP date, and a date in the past means now', () => {
    expect(retryAfter('Wed, 25 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(retryAfter('Wed, 25 Nov 2026 09:00:00 GMT', now)).toBe(0);
  });

  it('gives undefined for a missing or unreadable header', () => {
    expect(retryAfter(null, now)).toBeUndefined();
    expect(retryAfter('', now)).toBeUndefined();
    expect(retryAfter('soon', now)).toBeUndefined();
  });
});
