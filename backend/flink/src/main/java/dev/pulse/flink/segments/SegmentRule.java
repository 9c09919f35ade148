package dev.pulse.flink.segments;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.Serializable;
import java.util.Map;

/**
 * A segment rule (contract/src/segment.ts, SegmentRule).
 *
 * @param eventType the event_type an event must have, or null for any
 * @param eventName the event_name an event must have, or null for any
 * @param where dotted path into the event → condition (a bare JSON value, or an operator object)
 */
public record SegmentRule(
    String eventType, String eventName, Map<String, JsonNode> where, int minCount, String window)
    implements Serializable {}
