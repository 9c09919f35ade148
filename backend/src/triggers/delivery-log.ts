import type { SegmentChange } from '@pulse/contract';
import type { StateStore } from '../state/state-store';

/** One POST of a webhook. */
export interface DeliveryAttempt {
  at: string;
  /** HTTP status of the answer, or null when none came (network error, timeout). */
  status: number | null;
  error?: string;
  /** Back-off before the next attempt, when there is one. */
  retry_in_ms?: number;
}

/** The delivery of one segment change to one webhook trigger, with every attempt. */
export interface Delivery {
  /** Idempotency key (the change key): sent as `Idempotency-Key`, and the record's id. */
  key: string;
  trigger_id: string;
  url: string;
  change: SegmentChange;
  status: 'pending' | 'delivered' | 'failed';
  attempts: DeliveryAttempt[];
  created_at: string;
  updated_at: string;
}

/** Deliveries kept per trigger; older finished ones are dropped first. */
export const DELIVERIES_KEPT_PER_TRIGGER = 1000;

const kindOf = (triggerId: string) => `webhook_delivery:${triggerId}`;

/**
 * The webhook delivery log, as StateStore documents (one kind per trigger, one document per
 * change). Chosen over a warehouse table because a delivery is also the durable outbox of the
 * dispatcher: it is written as `pending` before the first POST and updated after each
 * attempt, so a restarted process resumes what was in flight, and a replayed batch finds the
 * record and is not posted again. Those are keyed read-modify-writes, which LMDB and Redis do
 * at once and ClickHouse (append-only, merged later) does not.
 */
export interface DeliveryLog {
  /** Deliveries of a trigger, newest first. */
  list(customer: string, triggerId: string): Promise<Delivery[]>;
  put(customer: string, delivery: Delivery): Promise<void>;
  /** Drops finished deliveries beyond the newest `keep`. */
  prune(customer: string, triggerId: string, keep?: number): Promise<void>;
  /** Forgets every delivery of a trigger (the trigger was deleted). */
  clear(customer: string, triggerId: string): Promise<void>;
}

export function createDeliveryLog(store: StateStore): DeliveryLog {
  const list = async (customer: string, triggerId: string) =>
    (await store.listDocuments(customer, kindOf(triggerId)))
      .map(({ value }) => value as Delivery)
      .sort((a, b) => b.created_at.localeCompare(a.created_at) || a.key.localeCompare(b.key));
  return {
    list,
    put: (customer, delivery) =>
      store.putDocument(customer, kindOf(delivery.trigger_id), delivery.key, delivery),
    async prune(customer, triggerId, keep = DELIVERIES_KEPT_PER_TRIGGER) {
      const old = (await list(customer, triggerId)).slice(keep);
      for (const d of old) {
        if (d.status !== 'pending') await store.deleteDocument(customer, kindOf(triggerId), d.key);
      }
    },
    async clear(customer, triggerId) {
      for (const d of await list(customer, triggerId))
        await store.deleteDocument(customer, kindOf(triggerId), d.key);
    },
  };
}
