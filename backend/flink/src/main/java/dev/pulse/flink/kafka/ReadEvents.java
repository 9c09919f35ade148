package dev.pulse.flink.kafka;

import dev.pulse.flink.engine.StreamItem;
import dev.pulse.flink.event.EventReader;
import dev.pulse.flink.event.IsoTime;
import dev.pulse.flink.segments.SegmentDefinition;
import java.util.List;
import java.util.Map;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Reads each record as an event, and records of `pulse.deletions` as deletions ({@link
 * ReadDeletions}); one that does not parse or validate becomes a dead letter on {@link
 * #DEAD_LETTERS} and the stream goes on (a poison record never stops the job). Events are met
 * with their customer's segment rules here ({@link EventReader}), where the records are read.
 */
final class ReadEvents extends ProcessFunction<EventRecord, StreamItem> {
  static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters") {};

  /** Longest record text a dead letter keeps (Kafka's default largest message). */
  private static final int MAX_RAW_CHARS = 1024 * 1024;

  private final Map<String, List<SegmentDefinition>> segments;

  ReadEvents(Map<String, List<SegmentDefinition>> segments) {
    this.segments = segments;
  }

  @Override
  public void processElement(EventRecord record, Context context, Collector<StreamItem> out) {
    if (PulseKafkaJob.DELETIONS_TOPIC.equals(record.topic())) {
      ReadDeletions.Read read = ReadDeletions.read(record);
      if (read.item() != null) out.collect(read.item());
      else quarantine(record, read.error(), context);
      return;
    }
    EventReader.Read read = EventReader.read(record.value(), segments);
    if (read.event() != null) out.collect(StreamItem.of(read.event()));
    else quarantine(record, read.error(), context);
  }

  private static void quarantine(EventRecord record, String reason, Context context) {
    String raw = record.value();
    context.output(
        DEAD_LETTERS,
        new DeadLetter(
            customerOfKey(record.key()),
            -1,
            null,
            "quarantined",
            reason,
            raw.length() > MAX_RAW_CHARS ? raw.substring(0, MAX_RAW_CHARS) : raw,
            IsoTime.format(System.currentTimeMillis()),
            new DeadLetter.Source(
                record.topic(), record.partition(), Long.toString(record.offset()))));
  }

  /** The customer a record's key names (`customer_id:visitor_id`), when it names one. */
  static String customerOfKey(String key) {
    if (key == null) return "unknown";
    int colon = key.indexOf(':');
    String customer = colon < 0 ? key : key.substring(0, colon);
    return customer.isEmpty() ? "unknown" : customer;
  }
}
