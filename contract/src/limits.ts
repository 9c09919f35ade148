/**
 * Limits of the wire contract (docs/architecture.md, "The event"). Beyond them the edge answers 413.
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
  /**
   * Deepest nesting of objects and arrays inside an event's `properties` or `context`
   * (`{ "a": { "b": 1 } }` nests 2). Real payloads nest a few levels; 4,500 levels made
   * `JSON.stringify` overflow the stack and every retry of the batch fail.
   */
  maxJsonDepth: 16,
  /** Most keys, counted over every nested object, in an event's `properties` or `context`. */
  maxJsonKeys: 1000,
  /** Longest array anywhere in an event's `properties` or `context`. */
  maxArrayLength: 1000,
  /**
   * Earliest and latest event time (ms since the epoch) the contract accepts, inside what the
   * warehouse stores (ClickHouse DateTime64: 1900 to 2299): a history import of years is
   * fine, a year 0001 or 9999 is refused rather than stored wrong or not at all.
   */
  minEventTimeMs: Date.UTC(1970, 0, 1),
  maxEventTimeMs: Date.UTC(2100, 0, 1),
} as const;

export type Limits = typeof LIMITS;
