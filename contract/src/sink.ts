import type { PulseEvent } from './event';
import type { ErrorCode } from './response';

/** An event the edge refused, kept with its reason and raw payload for `pulse.dlq`. */
export interface DeadLetter {
  customer_id: string;
  /** Position of the event in the request that carried it. */
  index: number;
  event_id: string | null;
  code: ErrorCode;
  message: string;
  /** The event exactly as received (already parsed JSON). */
  raw: unknown;
  received_at: string;
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
}

/**
 * Where accepted events go. `write` resolves only once every event and dead letter of the
 * batch is durable (Kafka acks=all, a signed ingest's 200, an fsynced log); otherwise it
 * rejects, and the edge answers 503 so the client keeps its events.
 */
export interface Sink {
  write(batch: SinkBatch): Promise<void>;
}
