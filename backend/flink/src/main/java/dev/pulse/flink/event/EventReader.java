package dev.pulse.flink.event;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pulse.flink.rollup.PagePath;
import dev.pulse.flink.segments.RuleMatch;
import dev.pulse.flink.segments.SegmentDefinition;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a record's text as a {@link PulseEvent}, or says why it is not one. The consumer is a
 * trust boundary (whatever is in Kafka may not have come from ingest), so the fields the engine
 * relies on are checked here; the full contract schema (sizes, nesting, control characters) is
 * enforced by the edge and by ingest before events reach Kafka.
 *
 * <p>What the engine needs from the rest of the event is read here too, from the tree already
 * parsed: which of the customer's segment rules it meets and its page path. Readers run where the
 * records are read, spread over every slot however the customers' sizes are spread.
 */
public final class EventReader {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> TYPES = Set.of("page_view", "click", "custom", "identify", "alias");

  /** An event, or the reason a record is not one. Exactly one is set. */
  public record Read(PulseEvent event, String error) {}

  private EventReader() {}

  /** @param segments customer_id → its segment definitions, whose rules each event is met with */
  public static Read read(String text, Map<String, List<SegmentDefinition>> segments) {
    JsonNode node;
    try {
      node = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      return new Read(null, "the record is not JSON");
    }
    if (node == null || !node.isObject()) return invalid("the record is not an object");
    return fromNode((ObjectNode) node, segments);
  }

  /** An event from a parsed JSON object (the vector runner's input items use this too). */
  public static Read fromNode(ObjectNode node, Map<String, List<SegmentDefinition>> segments) {
    for (String field : new String[] {"event_id", "customer_id", "visitor_id", "event_type"}) {
      if (!nonEmptyText(node.get(field))) return invalid(field + " must be a non-empty string");
    }
    String type = node.get("event_type").asText();
    if (!TYPES.contains(type)) return invalid("event_type must be one of " + TYPES);
    for (String field : new String[] {"user_id", "session_id", "previous_id"}) {
      JsonNode value = node.get(field);
      if (value != null && !value.isNull() && !nonEmptyText(value))
        return invalid(field + " must be a non-empty string or null");
    }
    if (!nonEmptyText(node.get("event_name"))) return invalid("event_name must be a non-empty string");
    for (String field : new String[] {"properties", "context"}) {
      JsonNode value = node.get(field);
      if (value != null && !value.isObject()) return invalid(field + " must be an object");
    }
    Long time = IsoTime.parse(textOrNull(node.get("timestamp")));
    Long received = IsoTime.parse(textOrNull(node.get("received_at")));
    if (time == null) return invalid("timestamp must be an ISO 8601 time");
    if (received == null) return invalid("received_at must be an ISO 8601 time");
    String customer = node.get("customer_id").asText();
    String name = node.get("event_name").asText();
    List<String> matches = new ArrayList<>();
    for (SegmentDefinition segment : segments.getOrDefault(customer, List.of())) {
      if (RuleMatch.matches(segment.rule(), type, name, node)) matches.add(segment.id());
    }
    PulseEvent event =
        new PulseEvent(
            node.get("event_id").asText(),
            customer,
            node.get("visitor_id").asText(),
            textOrNull(node.get("user_id")),
            textOrNull(node.get("session_id")),
            type,
            name,
            textOrNull(node.get("previous_id")),
            node.get("timestamp").asText(),
            time,
            received,
            type.equals("page_view") ? PagePath.of(node) : null,
            matches.toArray(String[]::new));
    return new Read(event, null);
  }

  private static Read invalid(String why) {
    return new Read(null, "the record is not a valid event: " + why);
  }

  private static boolean nonEmptyText(JsonNode value) {
    return value != null && value.isTextual() && !value.asText().isEmpty();
  }

  private static String textOrNull(JsonNode value) {
    return value == null || value.isNull() || !value.isTextual() ? null : value.asText();
  }
}
