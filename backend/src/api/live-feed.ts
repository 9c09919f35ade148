import type { ProcessedBatch } from '../processor/processor';

/**
 * Processed batches once they are committed and their changes are in the warehouse and
 * published, for live dashboards (GraphQL subscriptions over SSE) and triggers. At least once:
 * changes a crash left in the outbox are heard again at the next start (same keys and times),
 * so listeners dedupe by change key. In-process: it hears the processor of this process.
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
