package dev.pulse.flink.segments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Whether an event counts towards a rule (tests/vectors/README.md, rule 3), with the meaning of
 * backend/src/segments/rule-match.ts: JSON values compared as JavaScript compares them (strict
 * equality; numbers as doubles), a missing path being {@code undefined} ({@link MissingNode}).
 */
public final class RuleMatch {
  private static final Pattern INDEX = Pattern.compile("^(0|[1-9]\\d*)$");

  private RuleMatch() {}

  /** Whether the event (its type, its name and the whole event as JSON) meets {@code rule}. */
  public static boolean matches(SegmentRule rule, String eventType, String eventName, JsonNode event) {
    if (rule.eventType() != null && !rule.eventType().equals(eventType)) return false;
    if (rule.eventName() != null && !rule.eventName().equals(eventName)) return false;
    if (rule.where() == null) return true;
    for (Map.Entry<String, JsonNode> entry : rule.where().entrySet()) {
      if (!conditionHolds(entry.getValue(), valueAt(event, entry.getKey()))) return false;
    }
    return true;
  }

  /** The value at a dotted path, or {@link MissingNode} (undefined). */
  public static JsonNode valueAt(JsonNode root, String path) {
    JsonNode value = root;
    for (String key : path.split("\\.", -1)) {
      if (value.isObject()) {
        if (!value.has(key)) return MissingNode.getInstance();
        value = value.get(key);
      } else if (value.isArray()) {
        // An array's own keys in JavaScript: its indexes and `length`.
        if (key.equals("length")) value = IntNode.valueOf(value.size());
        else if (INDEX.matcher(key).matches() && key.length() < 10 && Integer.parseInt(key) < value.size())
          value = value.get(Integer.parseInt(key));
        else return MissingNode.getInstance();
      } else {
        return MissingNode.getInstance();
      }
    }
    return value;
  }

  /** Whether one condition holds for a value. */
  public static boolean conditionHolds(JsonNode condition, JsonNode value) {
    if (!condition.isObject()) return strictEquals(value, condition);
    JsonNode c = condition;
    if (c.has("eq") && !strictEquals(value, c.get("eq"))) return false;
    if (c.has("neq") && strictEquals(value, c.get("neq"))) return false;
    if (c.hasNonNull("in") && !arrayIncludes(c.get("in"), value)) return false;
    if (c.has("contains")) {
      JsonNode needle = c.get("contains");
      boolean holds =
          value.isTextual()
              ? needle.isTextual() && value.asText().contains(needle.asText())
              : value.isArray() && arrayIncludes(value, needle);
      if (!holds) return false;
    }
    if (c.has("starts_with")) {
      JsonNode prefix = c.get("starts_with");
      if (!value.isTextual() || !prefix.isTextual() || !value.asText().startsWith(prefix.asText()))
        return false;
    }
    if (c.has("gt") && !(isNumber(value) && value.doubleValue() > c.get("gt").doubleValue())) return false;
    if (c.has("gte") && !(isNumber(value) && value.doubleValue() >= c.get("gte").doubleValue()))
      return false;
    if (c.has("lt") && !(isNumber(value) && value.doubleValue() < c.get("lt").doubleValue())) return false;
    if (c.has("lte") && !(isNumber(value) && value.doubleValue() <= c.get("lte").doubleValue()))
      return false;
    if (c.has("exists")) {
      boolean present = !value.isMissingNode() && !value.isNull();
      if (present != c.get("exists").asBoolean()) return false;
    }
    return true;
  }

  private static boolean isNumber(JsonNode value) {
    return value.isNumber() && Double.isFinite(value.doubleValue());
  }

  /** JavaScript's {@code ===} between JSON values: objects and arrays equal no scalar. */
  static boolean strictEquals(JsonNode a, JsonNode b) {
    if (a.isMissingNode() || b.isMissingNode()) return false;
    if (a.isNull() || b.isNull()) return a.isNull() && b.isNull();
    if (a.isTextual() && b.isTextual()) return a.asText().equals(b.asText());
    if (a.isNumber() && b.isNumber()) return a.doubleValue() == b.doubleValue();
    if (a.isBoolean() && b.isBoolean()) return a.booleanValue() == b.booleanValue();
    return false;
  }

  private static boolean arrayIncludes(JsonNode array, JsonNode value) {
    if (!array.isArray()) return false;
    for (JsonNode element : array) if (strictEquals(element, value)) return true;
    return false;
  }
}
