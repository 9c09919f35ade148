package dev.pulse.flink.engine;

import dev.pulse.flink.event.PulseEvent;

/**
 * One step of a customer's stream: an event, that customer's wall clock moving on to
 * {@code tickAt} (ms), a profile deleted through the profile API ({@code forget}, an id of it),
 * or a step of a segment defined through the segment API ({@code definition}). Exactly one of
 * {@code event}, {@code tickAt}, {@code forget} and {@code definition} is set.
 */
public record StreamItem(
    String customerId, PulseEvent event, Long tickAt, String forget, DefinitionStep definition) {
  public static StreamItem of(PulseEvent event) {
    return new StreamItem(event.customerId(), event, null, null, null);
  }

  public static StreamItem tick(String customerId, long at) {
    return new StreamItem(customerId, null, at, null, null);
  }

  public static StreamItem forget(String customerId, String id) {
    return new StreamItem(customerId, null, null, id, null);
  }

  public static StreamItem definition(String customerId, DefinitionStep step) {
    return new StreamItem(customerId, null, null, null, step);
  }
}
