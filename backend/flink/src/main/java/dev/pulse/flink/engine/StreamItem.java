package dev.pulse.flink.engine;

import dev.pulse.flink.event.PulseEvent;

/**
 * One step of a customer's stream: an event, or that customer's wall clock moving on to
 * {@code tickAt} (ms). Exactly one of {@code event} and {@code tickAt} is set.
 */
public record StreamItem(String customerId, PulseEvent event, Long tickAt) {
  public static StreamItem of(PulseEvent event) {
    return new StreamItem(event.customerId(), event, null);
  }

  public static StreamItem tick(String customerId, long at) {
    return new StreamItem(customerId, null, at);
  }
}
