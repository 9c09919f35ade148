package dev.pulse.flink.engine;

import dev.pulse.flink.event.PulseEvent;

/**
 * One step of a customer's stream: an event, that customer's wall clock moving on to
 * {@code tickAt} (ms), or a profile deleted through the profile API ({@code forget}, an id of
 * it). Exactly one of {@code event}, {@code tickAt} and {@code forget} is set.
 */
public record StreamItem(String customerId, PulseEvent event, Long tickAt, String forget) {
  public static StreamItem of(PulseEvent event) {
    return new StreamItem(event.customerId(), event, null, null);
  }

  public static StreamItem tick(String customerId, long at) {
    return new StreamItem(customerId, null, at, null);
  }

  public static StreamItem forget(String customerId, String id) {
    return new StreamItem(customerId, null, null, id);
  }
}
