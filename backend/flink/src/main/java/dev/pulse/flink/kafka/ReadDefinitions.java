package dev.pulse.flink.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pulse.flink.Json;
import dev.pulse.flink.event.EventContract;
import dev.pulse.flink.event.IsoTime;
import dev.pulse.flink.segments.SegmentDefinition;
import dev.pulse.flink.segments.SegmentDefinitions;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads `pulse.definitions`, where the segment API (with the Flink engine) writes each change of a
 * customer's segments, keyed by customer_id (backend/src/flink/flink-definitions.ts):
 *
 * <pre>
 * {"kind":"define","customer_id","segment_id","version","definition":{"id","rule",…}}
 * {"kind":"delete","customer_id","segment_id","version"}
 * {"kind":"replay","customer_id","segment_id","version","events":[{"event_id","source","at"}]}
 * {"kind":"end","customer_id","segment_id","version"}
 * </pre>
 *
 * A define or delete is followed, once the job has switched the segment, by the matching history
 * of the rule's window (replay records) and an end. The backend writes these records, not
 * clients; one of another shape is quarantined to `pulse.dlq` with its reason, never stopping
 * the job.
 */
final class ReadDefinitions {
  static final String DEFINE = "define";
  static final String DELETE = "delete";
  static final String REPLAY = "replay";
  static final String END = "end";

  /** A replayed event: its id, the source its evidence belongs to, and its time (ms). */
  record Replayed(String eventId, String source, long at) {}

  /**
   * A record of the topic: {@code definition} is set for a define (its JSON in {@code text}),
   * {@code events} for a replay.
   */
  record Definition(
      String kind,
      String customerId,
      String segmentId,
      String version,
      SegmentDefinition definition,
      String text,
      List<Replayed> events) {}

  /** A definition record, or the reason a record is not one. Exactly one is set. */
  record Read(Definition definition, String error) {}

  private ReadDefinitions() {}

  static Read read(String text) {
    JsonNode node;
    try {
      node = Json.MAPPER.readTree(text);
    } catch (Exception e) {
      return new Read(null, "the record is not JSON");
    }
    if (node == null || !node.isObject()) return invalid("the record is not an object");
    String kind = node.path("kind").asText("");
    String customer = id(node.get("customer_id"));
    String segment = id(node.get("segment_id"));
    String version = id(node.get("version"));
    if (customer == null || segment == null || version == null)
      return invalid(
          "customer_id, segment_id and version must be ids of 1 to "
              + EventContract.MAX_ID_LENGTH
              + " characters");
    switch (kind) {
      case DEFINE -> {
        JsonNode body = node.get("definition");
        SegmentDefinition definition =
            body == null || !body.isObject() ? null : SegmentDefinitions.one(body, version);
        if (definition == null || !definition.id().equals(segment))
          return invalid("definition must be the segment's {id, rule} with a window the job reads");
        return new Read(
            new Definition(kind, customer, segment, version, definition, Json.write(body), null),
            null);
      }
      case REPLAY -> {
        JsonNode events = node.get("events");
        if (events == null || !events.isArray()) return invalid("events must be an array");
        List<Replayed> replayed = new ArrayList<>();
        for (JsonNode event : events) {
          String eventId = id(event.get("event_id"));
          String source = id(event.get("source"));
          Long at = IsoTime.parse(event.path("at").asText(null));
          if (eventId == null || source == null || at == null)
            return invalid("each replayed event needs an event_id, a source and a time (at)");
          replayed.add(new Replayed(eventId, source, at));
        }
        return new Read(new Definition(kind, customer, segment, version, null, null, replayed), null);
      }
      case DELETE, END -> {
        return new Read(new Definition(kind, customer, segment, version, null, null, null), null);
      }
      default -> {
        return invalid("kind must be define, delete, replay or end");
      }
    }
  }

  private static Read invalid(String why) {
    return new Read(null, "the record is not a valid segment definition step: " + why);
  }

  private static String id(JsonNode value) {
    if (value == null || !value.isTextual()) return null;
    String text = value.asText();
    return EventContract.isOpaqueId(text, EventContract.MAX_ID_LENGTH) ? text : null;
  }
}
