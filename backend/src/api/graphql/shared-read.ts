import type { LiveFeed } from '../live-feed';

/** Reads in flight, by key, and how many batches the feed has published. */
interface FeedReads {
  batches: number;
  inFlight: Map<string, Promise<unknown>>;
}

const byFeed = new WeakMap<LiveFeed, FeedReads>();

function readsOf(live: LiveFeed): FeedReads {
  let reads = byFeed.get(live);
  if (!reads) {
    const made: FeedReads = { batches: 0, inFlight: new Map() };
    // Lives as long as the feed: one listener per backend, not per subscription.
    live.subscribe(() => void made.batches++);
    byFeed.set(live, (reads = made));
  }
  return reads;
}

/**
 * One warehouse read for every live subscription that asks the same thing after the same
 * batch: every subscriber of a customer hears a batch at once, and without this each ran its
 * own query (20 open subscriptions, 20 reads per batch). A read is shared only with callers
 * that come before the next batch is published, so no one gets an answer read before the
 * batch it is about was in the warehouse.
 */
export function sharedRead<T>(live: LiveFeed, key: string, read: () => Promise<T>): Promise<T> {
  const reads = readsOf(live);
  const slot = `${reads.batches}\u0000${key}`;
  const running = reads.inFlight.get(slot) as Promise<T> | undefined;
  if (running) return running;
  const started = read().finally(() => reads.inFlight.delete(slot));
  reads.inFlight.set(slot, started);
  return started;
}
