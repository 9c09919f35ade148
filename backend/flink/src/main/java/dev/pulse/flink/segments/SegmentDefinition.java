package dev.pulse.flink.segments;

import java.io.Serializable;

/** A segment of one customer, with its window already in milliseconds. */
public record SegmentDefinition(String id, SegmentRule rule, long windowMs) implements Serializable {

  /** The number of events in the window that makes a member (at least 1). */
  public int minCount() {
    return Math.max(1, rule.minCount());
  }
}
