package dev.pulse.flink.kafka;

/**
 * A record of a `pulse.events.*` topic as read, before it is parsed: where it was found (for the
 * dead letter of a record that is not an event), its key and its text.
 */
public record EventRecord(String topic, int partition, long offset, String key, String value) {}
