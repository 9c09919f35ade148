/**
 * Limits of the wire contract (shared/DESIGN.md, "The event"). Beyond them the edge answers 413.
 * Segment-compatible batches follow Segment's own limits.
 */
export const LIMITS = {
  /** Largest serialised event, in bytes. */
  maxEventBytes: 32 * 1024,
  /** Largest request body, in bytes. */
  maxRequestBytes: 500 * 1024,
  /** Most events in one native batch (`POST /v1/events`). */
  maxBatchEvents: 1000,
  /** Most events in one Segment-compatible batch (`POST /v1/batch`). */
  maxSegmentBatchEvents: 2500,
  /** Longest event_id (Segment's messageId limit). */
  maxEventIdLength: 100,
  /** Longest id of a visitor, user or session. */
  maxIdLength: 200,
  /** Longest event_name. */
  maxEventNameLength: 200,
} as const;

export type Limits = typeof LIMITS;
