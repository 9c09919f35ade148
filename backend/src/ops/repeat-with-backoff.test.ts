import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { repeatWithBackoff } from './repeat-with-backoff';

describe('repeatWithBackoff', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A task that fails while `down` holds, recording the (fake) time of each run. */
  const recorder = () => {
    const runs: number[] = [];
    const state = { down: true };
    const task = () => {
      runs.push(Date.now());
      return state.down ? Promise.reject(new Error('down')) : Promise.resolve();
    };
    return { runs, state, task };
  };

  it('waits twice as long after each failure, up to the cap, and the interval again after a success', async () => {
    const start = Date.now();
    const { runs, state, task } = recorder();
    const errors: unknown[] = [];
    const repeating = repeatWithBackoff(task, {
      everyMs: 1_000,
      maxMs: 5_000,
      onError: (error) => errors.push(error),
    });
    // Failures at 0, then waits of 2 s, 4 s, 5 s (the cap), 5 s.
    await vi.advanceTimersByTimeAsync(16_000);
    expect(runs.map((at) => at - start)).toEqual([0, 2_000, 6_000, 11_000, 16_000]);
    expect(errors).toHaveLength(5);
    state.down = false;
    // The next run (after the capped wait) succeeds; then every second again.
    await vi.advanceTimersByTimeAsync(7_000);
    expect(runs.map((at) => at - start)).toEqual([
      0, 2_000, 6_000, 11_000, 16_000, 21_000, 22_000, 23_000,
    ]);
    expect(errors).toHaveLength(5);
    await repeating.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runs).toHaveLength(8);
  });

  it('never runs twice at once, and stop waits for the run in progress', async () => {
    let release: () => void = () => undefined;
    let concurrent = 0;
    let most = 0;
    let ended = 0;
    const task = async () => {
      concurrent += 1;
      most = Math.max(most, concurrent);
      await new Promise<void>((resolve) => (release = resolve));
      concurrent -= 1;
      ended += 1;
    };
    const repeating = repeatWithBackoff(task, {
      everyMs: 100,
      maxMs: 1_000,
      onError: () => undefined,
    });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(most).toBe(1);
    let stopped = false;
    const stopping = repeating.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(ended).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(ended).toBe(1);
    expect(concurrent).toBe(0);
  });
});
