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

/**
 * Reads a record's text as a {@link PulseEvent}, or says why it is not one. The consumer is a
 * trust boundary (whatever is in Kafka may not have come from ingest), so the whole contract is
 * checked here ({@link EventContract}), as the TypeScript processor checks it: both engines
 * refuse the same records.
 *
 * <p>What the engine needs from the rest of the event is read here too, from the tree already
 * parsed: which of the customer's segment rules it meets and its page path. Readers run where the
 * records are read, spread over every slot however the customers' sizes are spread.
 */
public final class EventReader {
  private static final ObjectMapper JSON = new ObjectMapper();

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
    EventContract.Checked checked = EventContract.check(node);
    if (checked.issue() != null) return invalid(checked.issue());
    String type = node.get("event_type").asText();
    String customer = node.get("customer_id").asText();
    String name = node.get("event_name").asText();
    List<String> matches = new ArrayList<>();
    for (SegmentDefinition segment : segments.getOrDefault(customer, List.of())) {
      if (RuleMatch.matches(segment.rule(), type, name, node)) matches.add(segment.ruleKey());
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
            checked.timestamp(),
            checked.receivedAt(),
            type.equals("page_view") ? PagePath.of(node) : null,
            matches.toArray(String[]::new));
    return new Read(event, null);
  }

  private static Read invalid(String why) {
    return new Read(null, "the record is not a valid event: " + why);
  }

  private static String textOrNull(JsonNode value) {
    return value == null || value.isNull() || !value.isTextual() ? null : value.asText();
  }
}
