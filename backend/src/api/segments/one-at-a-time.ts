/**
 * Runs tasks one at a time per key, in the order they were handed in. The Segment API writes
 * a customer's definitions through it, so two requests for the same id cannot both create it,
 * and a redefinition cannot interleave with the backfill of the version before it. It holds
 * within one process: the API of one backend.
 */
export function oneAtATime() {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const run = (tails.get(key) ?? Promise.resolve()).then(task);
    const tail = run.catch(() => undefined);
    tails.set(key, tail);
    // Forget the key once its queue is empty, so the map does not grow with customers.
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return run;
  };
}

/** A queue of `oneAtATime`: the segment writes of a backend, keyed by customer. */
export type SegmentWriteQueue = ReturnType<typeof oneAtATime>;
