import type { PulseEvent } from './event';
import type { ErrorCode } from './response';

/** An event the edge refused, kept with its reason and raw payload for `pulse.dlq`. */
export interface DeadLetter {
  customer_id: string;
  /** Position of the event in the request that carried it. */
  index: number;
  event_id: string | null;
  /**
   * Why: the edge's code for a refused event, or `quarantined` for a record a consumer could
   * not process (not an event, or failing deterministically), moved to `pulse.dlq` so that its
   * partition goes on; `redrive` sends it again after a fix.
   */
  code: ErrorCode | 'quarantined';
  message: string;
  /** The event exactly as received (already parsed JSON; the record's text if it was not JSON). */
  raw: unknown;
  received_at: string;
  /** Where a consumer found a record it quarantined (code `quarantined`), for re-driving it. */
  source?: { topic: string; partition: number; offset: string };
}

/** What the edge hands to a sink for one request. */
export interface SinkBatch {
  customer_id: string;
  events: PulseEvent[];
  dead_letters: DeadLetter[];
  /**
   * Events the client reported dropping for storage space (EventBatch `dropped`): they never
   * reached us, so the count is all that can be kept, and it is kept rather than lost silently.
   */
  client_dropped?: number;
  /** W3C `traceparent` of the edge's span for this request (contract/src/trace.ts). */
  traceparent?: string;
}

/**
 * Where accepted events go. `write` resolves only once every event and dead letter of the
 * batch is durable (Kafka acks=all, a signed ingest's 200, an fsynced log); otherwise it
 * rejects, and the edge answers 503 so the client keeps its events.
 */
export interface Sink {
  write(batch: SinkBatch): Promise<void>;
}
