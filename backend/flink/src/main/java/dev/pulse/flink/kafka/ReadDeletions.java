package dev.pulse.flink.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pulse.flink.Json;
import dev.pulse.flink.engine.StreamItem;
import dev.pulse.flink.event.EventContract;

/**
 * Reads `pulse.deletions`, the profiles deleted through the profile API
 * ({@code {"customer_id", "id"}}, written by the backend with the Flink engine), as items that
 * make the customer's operator forget the profile. The backend writes these records, not clients;
 * one of another shape is quarantined to `pulse.dlq` with its reason, as a record of the events'
 * topics that is not an event is ({@link ReadEvents}), never stopping the job.
 */
final class ReadDeletions {
  /** The item that forgets a profile, or the reason a record is not a deletion. One is set. */
  record Read(StreamItem item, String error) {}

  private ReadDeletions() {}

  static Read read(EventRecord record) {
    JsonNode node;
    try {
      node = Json.MAPPER.readTree(record.value());
    } catch (Exception e) {
      return new Read(null, "the record is not JSON");
    }
    String customer = text(node, "customer_id");
    String id = text(node, "id");
    if (customer == null || id == null) {
      return new Read(
          null,
          "the record is not a valid deletion: customer_id and id must be ids of 1 to "
              + EventContract.MAX_ID_LENGTH
              + " characters");
    }
    return new Read(StreamItem.forget(customer, id), null);
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node == null ? null : node.get(field);
    if (value == null || !value.isTextual()) return null;
    String text = value.asText();
    return EventContract.isOpaqueId(text, EventContract.MAX_ID_LENGTH) ? text : null;
  }
}
