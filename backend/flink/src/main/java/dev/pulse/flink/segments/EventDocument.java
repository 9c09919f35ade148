package dev.pulse.flink.segments;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** An event's JSON, parsed on first use: most events meet no rule with conditions. */
public final class EventDocument {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final String text;
  private JsonNode root;

  public EventDocument(String text) {
    this.text = text;
  }

  public JsonNode root() {
    if (root == null) {
      try {
        root = JSON.readTree(text);
      } catch (JsonProcessingException e) {
        // The text was parsed when the event was read; failing now is a bug.
        throw new IllegalStateException("event JSON no longer parses", e);
      }
    }
    return root;
  }
}
