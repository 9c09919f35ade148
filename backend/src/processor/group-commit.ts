/**
 * Merges work handed in while a flush is running into the next flush, so many small
 * batches (one per Kafka partition, one per edge request) share one warehouse write and one
 * state commit. `add` resolves with the flush that carried its items.
 */
export function groupCommit<T>(
  flush: (items: T[]) => Promise<void>,
): (items: T[]) => Promise<void> {
  let pending: { items: T[]; done: Promise<void> } | undefined;
  let running: Promise<void> = Promise.resolve();

  return (items) => {
    if (pending) {
      pending.items.push(...items);
      return pending.done;
    }
    const next = { items: [...items], done: Promise.resolve() };
    next.done = running.then(() => {
      if (pending === next) pending = undefined;
      return flush(next.items);
    });
    pending = next;
    running = next.done.catch(() => undefined);
    return next.done;
  };
}
