package dev.pulse.flink.engine;

/**
 * A step of a segment's definition through the API (backend/flink/README.md, "Definitions from
 * the API"), as it reaches the customer's operator:
 *
 * <ul>
 *   <li>{@code marker}: reader {@code reader} of {@code readers} now meets events with rule
 *       {@code version} of the segment ({@code definition}, its JSON) as well as the old one, or,
 *       with no {@code definition}, has the segment's deletion. When every reader has said so, no
 *       event met with the old rules alone can arrive any more: the operator switches the segment
 *       to the new rule.
 *   <li>{@code replay}: one event of the segment's history that meets the new rule ({@code
 *       eventId}, its {@code source} and time {@code at}), read from the warehouse by the API.
 *   <li>{@code end}: the history is in; members of the old rule the new one does not keep exit.
 * </ul>
 */
public record DefinitionStep(
    String kind,
    String segmentId,
    String version,
    String definition,
    int reader,
    int readers,
    String eventId,
    String source,
    long at) {
  public static final String MARKER = "marker";
  public static final String REPLAY = "replay";
  public static final String END = "end";

  public static DefinitionStep marker(
      String segmentId, String version, String definition, int reader, int readers) {
    return new DefinitionStep(MARKER, segmentId, version, definition, reader, readers, null, null, 0);
  }

  public static DefinitionStep replay(
      String segmentId, String version, String eventId, String source, long at) {
    return new DefinitionStep(REPLAY, segmentId, version, null, 0, 0, eventId, source, at);
  }

  public static DefinitionStep end(String segmentId, String version) {
    return new DefinitionStep(END, segmentId, version, null, 0, 0, null, null, 0);
  }
}
