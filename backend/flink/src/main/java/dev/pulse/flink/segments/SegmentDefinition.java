package dev.pulse.flink.segments;

import java.io.Serializable;

/**
 * A segment of one customer, with its window already in milliseconds.
 *
 * @param version which definition of the segment this is: null for one read from the segments
 *     file at the job's start, the version the segment API gave it for one defined since (see
 *     {@link dev.pulse.flink.kafka.ReadDefinitions})
 */
public record SegmentDefinition(String id, SegmentRule rule, long windowMs, String version)
    implements Serializable {

  /** The number of events in the window that makes a member (at least 1). */
  public int minCount() {
    return Math.max(1, rule.minCount());
  }

  /**
   * What an event that meets this rule carries ({@code PulseEvent.matches}): while a segment is
   * being redefined the readers meet events with both its old and its new rule, and the engine
   * must know which rule each answer is for.
   */
  public String ruleKey() {
    return version == null ? id : id + "@" + version;
  }
}
