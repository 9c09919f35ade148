package dev.pulse.flink.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pulse.flink.Json;
import dev.pulse.flink.segments.SegmentDefinition;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Folds what the job emitted into the vectors' `expect` shape, as a downstream reader of the
 * output topics would: identities are the latest link of each source, memberships follow the
 * enter/exit changes, rollups the latest row of each minute, event counts the first sightings.
 * Changes are kept per customer in emission order: instances run in parallel, so changes of
 * different customers have no order between them.
 */
final class VectorResults {
  private final Map<String, List<SegmentDefinition>> segments;
  private final Map<String, List<JsonNode>> changes = new TreeMap<>();
  private final Map<String, Map<String, String>> identities = new TreeMap<>();
  private final Map<String, Map<String, TreeSet<String>>> memberships = new TreeMap<>();
  /** The same memberships, from the membership ends (`pulse.memberships`): must agree. */
  private final Map<String, Map<String, TreeSet<String>>> fromEnds = new TreeMap<>();
  private final Map<String, Map<String, JsonNode>> rollups = new TreeMap<>();
  private final Map<String, Long> eventCounts = new TreeMap<>();

  VectorResults(Map<String, List<SegmentDefinition>> segments) {
    this.segments = segments;
    segments.forEach(
        (customer, list) -> {
          Map<String, TreeSet<String>> bySegment = new TreeMap<>();
          Map<String, TreeSet<String>> bySegmentFromEnds = new TreeMap<>();
          for (SegmentDefinition definition : list) {
            bySegment.put(definition.id(), new TreeSet<>());
            bySegmentFromEnds.put(definition.id(), new TreeSet<>());
          }
          memberships.put(customer, bySegment);
          fromEnds.put(customer, bySegmentFromEnds);
        });
  }

  void add(String line) {
    int tab = line.indexOf('\t');
    String kind = line.substring(0, tab);
    String body = line.substring(tab + 1);
    switch (kind) {
      case "event" -> eventCounts.merge(body, 1L, Long::sum);
      case "change" -> addChange(parse(body));
      case "link" -> {
        JsonNode link = parse(body);
        identities
            .computeIfAbsent(link.get("customer_id").asText(), c -> new TreeMap<>())
            .put(link.get("source_id").asText(), link.get("user_id").asText());
      }
      case "member" -> {
        JsonNode end = parse(body);
        TreeSet<String> members =
            fromEnds
                .computeIfAbsent(end.get("customer_id").asText(), c -> new TreeMap<>())
                .computeIfAbsent(end.get("segment_id").asText(), s -> new TreeSet<>());
        if (end.get("until").isNull()) members.remove(end.get("id").asText());
        else members.add(end.get("id").asText());
      }
      case "rollup" -> {
        JsonNode rollup = parse(body);
        rollups
            .computeIfAbsent(rollup.get("customer_id").asText(), c -> new TreeMap<>())
            .put(rollup.get("minute").asText(), rollup);
      }
      default -> throw new IllegalStateException("unknown output " + kind);
    }
  }

  private void addChange(JsonNode change) {
    String customer = change.get("customer_id").asText();
    changes.computeIfAbsent(customer, c -> new ArrayList<>()).add(change);
    TreeSet<String> members =
        memberships
            .computeIfAbsent(customer, c -> new TreeMap<>())
            .computeIfAbsent(change.get("segment_id").asText(), s -> new TreeSet<>());
    if (change.get("change").asText().equals("enter")) members.add(change.get("id").asText());
    else members.remove(change.get("id").asText());
  }

  /**
   * `{ changes: {customer: [change]}, identities, memberships, rollups, event_counts }`; fails when
   * the memberships the changes give and those the membership ends give differ.
   */
  ObjectNode toJson() {
    if (!memberships.equals(fromEnds))
      throw new IllegalStateException(
          "membership ends disagree with the changes: " + fromEnds + " against " + memberships);
    ObjectNode json = Json.MAPPER.createObjectNode();
    ObjectNode byCustomer = json.putObject("changes");
    changes.forEach((customer, list) -> byCustomer.putArray(customer).addAll(list));
    json.set("identities", Json.MAPPER.valueToTree(identities));
    json.set("memberships", Json.MAPPER.valueToTree(memberships));
    ObjectNode rollupJson = json.putObject("rollups");
    rollups.forEach(
        (customer, byMinute) -> {
          ArrayNode list = rollupJson.putArray(customer);
          // ISO minutes of the contract's years sort as text in time order.
          for (JsonNode rollup : byMinute.values()) {
            ObjectNode row = rollup.deepCopy();
            row.remove("customer_id");
            list.add(row);
          }
        });
    json.set("event_counts", Json.MAPPER.valueToTree(new HashMap<>(eventCounts)));
    return json;
  }

  private static JsonNode parse(String text) {
    try {
      return Json.MAPPER.readTree(text);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
