package dev.pulse.flink.event;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Set;

/**
 * The wire contract's event as the backend reads it from Kafka ({@code pulseEventSchema} of
 * contract/src/schema.ts, with the bounds of contract/src/limits.ts and contract/src/ids.ts): the
 * job refuses exactly the records the TypeScript processor quarantines, so both engines count the
 * same events, and no id, time or nesting a writer of the topics chose goes unbounded into state.
 * A Java port cannot import the contract; tests/flink/event-contract.test.ts holds the two to the
 * same answers on records at and past every bound.
 */
public final class EventContract {
  /** Longest event_id (LIMITS.maxEventIdLength). */
  public static final int MAX_EVENT_ID_LENGTH = 100;

  /** Longest id of a visitor, user, session or profile (LIMITS.maxIdLength). */
  public static final int MAX_ID_LENGTH = 200;

  /** Longest event_name (LIMITS.maxEventNameLength). */
  public static final int MAX_EVENT_NAME_LENGTH = 200;

  /** Deepest nesting, most keys, longest array in properties or context (LIMITS.maxJson*). */
  public static final int MAX_JSON_DEPTH = 16;

  public static final int MAX_JSON_KEYS = 1000;
  public static final int MAX_ARRAY_LENGTH = 1000;

  /** Event times the contract accepts: from 1970-01-01 to before 2100-01-01 (UTC, ms). */
  public static final long MIN_EVENT_TIME_MS = 0L;

  public static final long MAX_EVENT_TIME_MS = 4_102_444_800_000L;


  /** contract/src/event.ts, EVENT_TYPES. */
  public static final Set<String> EVENT_TYPES =
      Set.of("page_view", "click", "custom", "identify", "alias");

  /** The event's times; {@link Checked} keeps the first and the last. */
  private static final String[] TIMES = {"timestamp", "original_timestamp", "sent_at", "received_at"};
  private static final String[] NULLABLE_IDS = {"user_id", "session_id", "previous_id"};

  private EventContract() {}

  /**
   * What checking an object against the contract found: the first reason it is not a contract
   * event, or null and the two times the engine reads (ms), parsed once here.
   */
  public record Checked(String issue, long timestamp, long receivedAt) {
    static Checked refused(String issue) {
      return new Checked(issue, 0, 0);
    }
  }

  /** Checks the object against the contract (see {@link Checked}). */
  public static Checked check(ObjectNode event) {
    String issue = issueBeforeTimes(event);
    if (issue != null) return Checked.refused(issue);
    long[] times = new long[TIMES.length];
    for (int i = 0; i < TIMES.length; i++) {
      Long ms = eventTime(event.get(TIMES[i]));
      if (ms == null)
        return Checked.refused(
            TIMES[i] + " must be an ISO 8601 time with a zone, from 1970 to before 2100");
      times[i] = ms;
    }
    issue = issueAfterTimes(event);
    return issue != null ? Checked.refused(issue) : new Checked(null, times[0], times[3]);
  }

  /** The ids, type and name: the first reason they break the contract, or null. */
  private static String issueBeforeTimes(ObjectNode event) {
    if (!isCustomerId(event.get("customer_id"))) return "customer_id is not a valid customer id";
    if (!isOpaqueId(event.get("event_id"), MAX_EVENT_ID_LENGTH))
      return "event_id " + idRule(MAX_EVENT_ID_LENGTH);
    if (!isOpaqueId(event.get("visitor_id"), MAX_ID_LENGTH))
      return "visitor_id " + idRule(MAX_ID_LENGTH);
    for (String field : NULLABLE_IDS) {
      JsonNode value = event.get(field);
      if (value == null || !(value.isNull() || isOpaqueId(value, MAX_ID_LENGTH)))
        return field + " must be null or an id: " + idRule(MAX_ID_LENGTH);
    }
    JsonNode type = event.get("event_type");
    if (type == null || !type.isTextual() || !EVENT_TYPES.contains(type.asText()))
      return "event_type must be one of " + EVENT_TYPES;
    JsonNode name = event.get("event_name");
    if (name == null
        || !name.isTextual()
        || name.asText().length() > MAX_EVENT_NAME_LENGTH
        || hasLoneSurrogate(name.asText()))
      return "event_name must be a string of at most "
          + MAX_EVENT_NAME_LENGTH
          + " characters, well-formed Unicode";
    return null;
  }

  /** Properties and context: the first reason they break the contract, or null. */
  private static String issueAfterTimes(ObjectNode event) {
    JsonNode properties = event.get("properties");
    if (properties == null || !properties.isObject()) return "properties must be an object";
    String shape = shapeIssue(properties);
    if (shape != null) return "properties " + shape;
    JsonNode context = event.get("context");
    if (context == null || !context.isObject()) return "context must be an object";
    if (!optionalText(context.get("locale"), 64)) return "context.locale is at most 64 characters";
    if (!optionalText(context.get("user_agent"), 1024))
      return "context.user_agent is at most 1024 characters";
    shape = shapeIssue(context);
    return shape == null ? null : "context " + shape;
  }

  /** The time (ms) of an ISO 8601 text inside the contract's event times, else null. */
  private static Long eventTime(JsonNode value) {
    if (value == null || !value.isTextual()) return null;
    Long ms = IsoTime.parse(value.asText());
    return ms != null && ms >= MIN_EVENT_TIME_MS && ms < MAX_EVENT_TIME_MS ? ms : null;
  }

  /** Whether the text is an id a client may send: 1 to max characters, no control character, no lone surrogate. */
  public static boolean isOpaqueId(String text, int max) {
    if (text.isEmpty() || text.length() > max) return false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) return false;
    }
    return !hasLoneSurrogate(text);
  }

  private static boolean isOpaqueId(JsonNode value, int max) {
    return value != null && value.isTextual() && isOpaqueId(value.asText(), max);
  }

  /** contract/src/ids.ts, CUSTOMER_ID_PATTERN: {@code ^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$}. */
  private static boolean isCustomerId(JsonNode value) {
    if (value == null || !value.isTextual()) return false;
    String text = value.asText();
    if (text.isEmpty() || text.length() > 64) return false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean alphanumeric =
          (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
      if (!alphanumeric && (i == 0 || (c != '_' && c != '-'))) return false;
    }
    return true;
  }

  private static String idRule(int max) {
    return "must be 1 to " + max + " characters, without control characters or lone surrogates";
  }

  private static boolean optionalText(JsonNode value, int max) {
    return value == null || (value.isTextual() && value.asText().length() <= max);
  }

  /** Whether a UTF-16 surrogate stands without its other half (it has no UTF-8 form). */
  static boolean hasLoneSurrogate(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) i++;
        else return true;
      } else if (Character.isLowSurrogate(c)) {
        return true;
      }
    }
    return false;
  }

  /** contract/src/json-shape.ts: nesting, keys (over every nested object) and array lengths. */
  private static String shapeIssue(JsonNode value) {
    int[] keys = {0};
    return shapeIssue(value, 1, keys);
  }

  /**
   * Recursive, but never deeper than {@link #MAX_JSON_DEPTH} + 1 calls: a container past the
   * bound is refused before its children are visited (and Jackson refuses to parse a document
   * nested deeper than its own bound of 1,000).
   */
  private static String shapeIssue(JsonNode item, int depth, int[] keys) {
    if (!item.isContainerNode()) return null;
    if (depth > MAX_JSON_DEPTH) return "nests deeper than " + MAX_JSON_DEPTH + " levels";
    if (item.isArray() && item.size() > MAX_ARRAY_LENGTH)
      return "has an array of over " + MAX_ARRAY_LENGTH + " items";
    if (item.isObject() && (keys[0] += item.size()) > MAX_JSON_KEYS)
      return "has over " + MAX_JSON_KEYS + " keys";
    for (Iterator<JsonNode> children = item.elements(); children.hasNext(); ) {
      String issue = shapeIssue(children.next(), depth + 1, keys);
      if (issue != null) return issue;
    }
    return null;
  }
}
