/** A task `repeatWithBackoff` runs until stopped. */
export interface Repeating {
  /** No more runs; resolves once the one running (if any) has ended. */
  stop(): Promise<void>;
}

/**
 * Runs `task` now, then `everyMs` after each run ends, never two at once. After a failure
 * (reported to `onError`) the wait doubles, up to `maxMs`, and goes back to `everyMs` after a
 * success: a task that keeps failing because a dependency is down (the unfinished segment
 * writes while the Flink job is) tries less and less often instead of at every interval.
 */
export function repeatWithBackoff(
  task: () => Promise<unknown>,
  options: { everyMs: number; maxMs: number; onError: (error: unknown) => void },
): Repeating {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let waitMs = options.everyMs;
  const run = () => {
    running = task().then(
      () => {
        waitMs = options.everyMs;
      },
      (error: unknown) => {
        options.onError(error);
        waitMs = Math.min(waitMs * 2, options.maxMs);
      },
    );
    void running.then(() => {
      running = undefined;
      if (!stopped) timer = setTimeout(run, waitMs);
    });
  };
  run();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
