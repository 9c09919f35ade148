package dev.pulse.flink.event;

/**
 * An event of the wire contract (contract/src/event.ts, PulseEvent) as the engine needs it: the
 * fields it reads by name, the times parsed once, and what was read from the rest of the event
 * where it was parsed ({@link EventReader}): the segments whose rules it meets and its page path.
 * The event's JSON itself does not travel between operators (serializing it for every keyBy, and
 * parsing it again for the rules, cost more than the whole segment engine).
 *
 * @param timeMs {@code timestamp} in ms since the epoch (the event time, `t`)
 * @param receivedMs {@code received_at} in ms since the epoch (caps how far `t` moves the clock)
 * @param pagePath the page a page_view counts for in rollups ({@code ""} for none); null for other
 *     types
 * @param matches ids of the customer's segments whose rule this event meets (rule 3 of
 *     tests/vectors/README.md; whether it is too late to count is the engine's question)
 */
public record PulseEvent(
    String eventId,
    String customerId,
    String visitorId,
    String userId,
    String sessionId,
    String eventType,
    String eventName,
    String previousId,
    String timestamp,
    long timeMs,
    long receivedMs,
    String pagePath,
    String[] matches) {

  /** How far this event moves its customer's clock: never past the edge's own receive time. */
  public long clockTime() {
    return Math.min(timeMs, receivedMs);
  }

  /** Whether this event meets the rule of the customer's segment {@code segmentId}. */
  public boolean matches(String segmentId) {
    for (String id : matches) if (id.equals(segmentId)) return true;
    return false;
  }

  /** The source its evidence belongs to: the user once known, else the visitor. */
  public String source() {
    return userId != null ? userId : visitorId;
  }
}
