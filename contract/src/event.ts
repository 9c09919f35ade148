/** The kinds of event Pulse carries; one Kafka topic each (`pulse.events.<type>`). */
export const EVENT_TYPES = ['page_view', 'click', 'custom', 'identify', 'alias'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** JSON-serialisable property bag. */
export type Properties = Record<string, unknown>;

/** Context the SDK (or a Segment library) attaches; the edge adds ip, user_agent and geo. */
export interface EventContext {
  ip?: string;
  user_agent?: string;
  locale?: string;
  timezone?: string;
  page?: { url?: string; path?: string; title?: string; referrer?: string; search?: string };
  screen?: { width?: number; height?: number; density?: number };
  campaign?: { source?: string; medium?: string; name?: string; term?: string; content?: string };
  library?: { name: string; version: string };
  geo?: { country?: string; region?: string; city?: string; timezone?: string };
  [key: string]: unknown;
}

/**
 * An event as a client sends it inside a batch. `timestamp` is the client's clock when the
 * event happened; the edge keeps it as `original_timestamp` and corrects `timestamp` for skew.
 */
export interface ClientEvent {
  /** UUIDv7 made by the SDK (any id of up to 100 characters from Segment libraries); the dedup key end to end. */
  event_id: string;
  visitor_id: string;
  user_id?: string | null;
  session_id?: string | null;
  event_type: EventType;
  event_name: string;
  properties?: Properties;
  /** For `alias`: the id being merged into `user_id`. */
  previous_id?: string | null;
  context?: EventContext;
  timestamp: string;
}

/** The native batch, `POST /v1/events`. */
export interface EventBatch {
  /** Client clock at send time; with each event's `timestamp` it gives the clock skew. */
  sent_at: string;
  events: ClientEvent[];
  /** Events the client had to drop for storage space since its last batch: reported, never silent. */
  dropped?: number;
  /**
   * Sent while the page was being left, when the client may never read the answer: the edge
   * keeps a receipt of these event_ids, so the next page can ask (`POST /v1/receipts`)
   * instead of sending them again.
   */
  unload?: boolean;
}

/** An event after the edge: the full wire contract of docs/architecture.md. */
export interface PulseEvent {
  event_id: string;
  customer_id: string;
  visitor_id: string;
  user_id: string | null;
  session_id: string | null;
  event_type: EventType;
  event_name: string;
  properties: Properties;
  previous_id: string | null;
  context: EventContext;
  /** `received_at − (sent_at − original_timestamp)`: corrected for client clock skew. */
  timestamp: string;
  original_timestamp: string;
  sent_at: string;
  received_at: string;
}
