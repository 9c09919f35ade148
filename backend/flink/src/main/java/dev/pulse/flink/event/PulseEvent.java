package dev.pulse.flink.event;

/**
 * An event of the wire contract (contract/src/event.ts, PulseEvent) as the engine needs it: the
 * fields it reads by name, the times parsed once, and the whole event as JSON for segment rules,
 * which may read any dotted path of it.
 *
 * @param timeMs {@code timestamp} in ms since the epoch (the event time, `t`)
 * @param receivedMs {@code received_at} in ms since the epoch (caps how far `t` moves the clock)
 * @param json the event exactly as read, with {@code customer_id} set
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
    String json) {

  /** How far this event moves its customer's clock: never past the edge's own receive time. */
  public long clockTime() {
    return Math.min(timeMs, receivedMs);
  }

  /** The source its evidence belongs to: the user once known, else the visitor. */
  public String source() {
    return userId != null ? userId : visitorId;
  }
}
