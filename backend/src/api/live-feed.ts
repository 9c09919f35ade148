import type { ProcessedBatch } from '../processor/processor';

/**
 * Processed batches once they are in the warehouse and published, for live dashboards
 * (GraphQL subscriptions over SSE) and triggers. At least once: a batch replayed after a crash
 * is heard again, so listeners dedupe by event or change key. In-process: it hears the
 * processor of this process.
 */
export interface LiveFeed {
  publish(batch: ProcessedBatch): void;
  /** Calls `listener` for every batch from now on; returns the unsubscribe function. */
  subscribe(listener: (batch: ProcessedBatch) => void): () => void;
}

export function createLiveFeed(): LiveFeed {
  const listeners = new Set<(batch: ProcessedBatch) => void>();
  return {
    publish(batch) {
      for (const listener of listeners) listener(batch);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
