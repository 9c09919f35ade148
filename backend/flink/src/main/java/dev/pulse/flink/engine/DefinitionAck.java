package dev.pulse.flink.engine;

/**
 * What the customer's operator did with a segment's definition, written to
 * `pulse.definitions.applied` for the segment API that waits on it
 * (backend/src/flink/flink-definitions.ts):
 *
 * <ul>
 *   <li>{@code switched}: every event from now on is counted with the new rule (the old rule's
 *       evidence and members are gone; a deleted segment is gone). The API then sends the
 *       history that events before this point left in the warehouse.
 *   <li>{@code ended}: the history is in; {@code members} are the segment's members and {@code
 *       exited} the members of the old rule that left ({@code reason: redefined}).
 * </ul>
 *
 * @param clock the customer's clock at that point (ISO 8601, ms), null before its first event:
 *     the history the API replays is the window before it
 */
public record DefinitionAck(
    String customerId,
    String segmentId,
    String version,
    String phase,
    int members,
    int exited,
    String clock) {
  public static final String SWITCHED = "switched";
  public static final String ENDED = "ended";
}
