package dev.pulse.flink.engine;

import dev.pulse.flink.event.IsoTime;

/**
 * A profile entering or leaving a segment (contract/src/segment.ts, SegmentChange); written to
 * `pulse.segments` as JSON with snake_case names, in this field order.
 *
 * @param change {@code enter} or {@code exit}
 * @param at event time of the change, ISO 8601 with ms
 * @param reason {@code rule}, {@code window} or {@code merged}
 */
public record SegmentChange(
    String customerId, String segmentId, String id, String change, String at, String reason) {

  static SegmentChange of(
      String customer, String segment, String id, String change, long at, String reason) {
    return new SegmentChange(customer, segment, id, change, IsoTime.format(at), reason);
  }
}
