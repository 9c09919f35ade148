package dev.pulse.flink.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pulse.flink.Json;
import dev.pulse.flink.engine.StreamItem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads `pulse.deletions`, the profiles deleted through the profile API
 * ({@code {"customer_id", "id"}}, written by the backend with the Flink engine), as items that
 * make the customer's operator forget the profile. The backend writes these records, not clients;
 * one of another shape is skipped and logged, never stopping the job.
 */
final class ReadDeletions {
  private static final Logger LOG = LoggerFactory.getLogger(ReadDeletions.class);
  /** The contract's longest id (contract/src/limits.ts, maxIdLength). */
  private static final int MAX_ID_LENGTH = 200;

  private ReadDeletions() {}

  /** The item that forgets the profile a record names, or null (skipped and logged). */
  static StreamItem read(EventRecord record) {
    String customer = null;
    String id = null;
    try {
      JsonNode node = Json.MAPPER.readTree(record.value());
      customer = text(node, "customer_id");
      id = text(node, "id");
    } catch (Exception e) {
      // not JSON: skipped below
    }
    if (customer == null || id == null) {
      LOG.warn(
          "skipped a record of {} at {}/{}: not a deletion",
          record.topic(),
          record.partition(),
          record.offset());
      return null;
    }
    return StreamItem.forget(customer, id);
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node == null ? null : node.get(field);
    if (value == null || !value.isTextual()) return null;
    String text = value.asText();
    return text.isEmpty() || text.length() > MAX_ID_LENGTH ? null : text;
  }
}
