package dev.pulse.flink.segments;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.pulse.flink.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads `{ customer_id: [ { id, rule } ] }` (the vectors' `segments`) into definitions. */
public final class SegmentDefinitions {
  private SegmentDefinitions() {}

  /** Definitions with a window the engine does not understand are skipped, as in the TS engine. */
  public static Map<String, List<SegmentDefinition>> read(JsonNode byCustomer) {
    Map<String, List<SegmentDefinition>> result = new LinkedHashMap<>();
    if (byCustomer == null) return result;
    byCustomer.fields().forEachRemaining(entry -> result.put(entry.getKey(), list(entry.getValue())));
    return result;
  }

  /** A list of definitions ({@code [ { id, rule, version? } ]}), skipping those it cannot read. */
  public static List<SegmentDefinition> list(JsonNode definitions) {
    List<SegmentDefinition> list = new ArrayList<>();
    for (JsonNode definition : definitions) {
      SegmentDefinition one = one(definition, textOrNull(definition.get("version")));
      if (one != null) list.add(one);
    }
    return list;
  }

  /**
   * One definition ({@code { id, rule }}, as the segment API stores it), or null when its rule
   * has no window the engine understands.
   */
  public static SegmentDefinition one(JsonNode definition, String version) {
    JsonNode rule = definition.path("rule");
    Long windowMs = SegmentWindow.parse(rule.path("window").asText(null));
    if (windowMs == null || !definition.path("id").isTextual()) return null;
    Map<String, JsonNode> where = new LinkedHashMap<>();
    rule.path("where").fields().forEachRemaining(c -> where.put(c.getKey(), c.getValue()));
    return new SegmentDefinition(
        definition.path("id").asText(),
        new SegmentRule(
            rule.hasNonNull("event_type") ? rule.get("event_type").asText() : null,
            rule.hasNonNull("event_name") ? rule.get("event_name").asText() : null,
            where,
            rule.path("min_count").asInt(1),
            rule.path("window").asText()),
        windowMs,
        version);
  }

  /** {@link #list} of the JSON the job itself wrote into its state (never a client's). */
  public static List<SegmentDefinition> listFromState(String json) {
    return list(stateJson(json));
  }

  /** {@link #one} of the JSON the job itself passed between its operators (never a client's). */
  public static SegmentDefinition oneFromState(String json, String version) {
    return one(stateJson(json), version);
  }

  private static JsonNode stateJson(String json) {
    try {
      return Json.MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("unreadable segment definitions in the job's state", e);
    }
  }

  private static String textOrNull(JsonNode value) {
    return value == null || !value.isTextual() ? null : value.asText();
  }
}
