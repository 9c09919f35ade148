package dev.pulse.flink.kafka;

/**
 * A record quarantined to `pulse.dlq` (contract/src/sink.ts, DeadLetter), in the shape the
 * TypeScript processor writes (backend/src/processor/quarantine.ts): code {@code quarantined},
 * the reason, the record's text as {@code raw}, and where it was found, so `redrive` can send it
 * again after a fix.
 */
public record DeadLetter(
    String customerId,
    int index,
    String eventId,
    String code,
    String message,
    String raw,
    String receivedAt,
    Source source) {

  /** Where a consumer found the record; the offset is a string, as kafkajs gives it. */
  public record Source(String topic, int partition, String offset) {}
}
