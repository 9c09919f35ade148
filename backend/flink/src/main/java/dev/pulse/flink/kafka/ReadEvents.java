package dev.pulse.flink.kafka;

import dev.pulse.flink.Json;
import dev.pulse.flink.engine.DefinitionStep;
import dev.pulse.flink.engine.StreamItem;
import dev.pulse.flink.event.EventReader;
import dev.pulse.flink.event.IsoTime;
import dev.pulse.flink.segments.SegmentDefinition;
import dev.pulse.flink.segments.SegmentDefinitions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.co.BroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Reads each record as an event, and records of `pulse.deletions` as deletions ({@link
 * ReadDeletions}); one that does not parse or validate becomes a dead letter on {@link
 * #DEAD_LETTERS} and the stream goes on (a poison record never stops the job). Events are met
 * with their customer's segment rules here ({@link EventReader}), where the records are read.
 *
 * <p>The rules are the segments file's, changed by the records of `pulse.definitions` ({@link
 * ReadDefinitions}), which every reader receives (Flink's broadcast state, checkpointed with the
 * job). A new rule is met beside the old one until the segment's end record; each reader tells
 * the customer's operator when it has a definition ({@link DefinitionStep#MARKER}), so the
 * operator knows when no event met with the old rules alone can arrive. The first reader passes
 * the replayed history and the end on to the operator.
 */
final class ReadEvents extends BroadcastProcessFunction<EventRecord, EventRecord, StreamItem> {
  static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters") {};

  /** customer_id → the JSON list of the definitions its events are met with, as changed by the API. */
  static final MapStateDescriptor<String, String> RULES =
      new MapStateDescriptor<>("segment-rules", Types.STRING, Types.STRING);

  /** Longest record text a dead letter keeps (Kafka's default largest message). */
  private static final int MAX_RAW_CHARS = 1024 * 1024;

  private final Map<String, List<SegmentDefinition>> segments;
  /** The segments file's definitions, with those changed since in the broadcast state over them. */
  private transient Map<String, List<SegmentDefinition>> rules;

  ReadEvents(Map<String, List<SegmentDefinition>> segments) {
    this.segments = segments;
  }

  @Override
  public void processElement(EventRecord record, ReadOnlyContext context, Collector<StreamItem> out)
      throws Exception {
    if (PulseKafkaJob.DELETIONS_TOPIC.equals(record.topic())) {
      ReadDeletions.Read read = ReadDeletions.read(record);
      if (read.item() != null) out.collect(read.item());
      else quarantine(record, read.error(), letter -> context.output(DEAD_LETTERS, letter));
      return;
    }
    if (rules == null) rules = restored(context.getBroadcastState(RULES));
    EventReader.Read read = EventReader.read(record.value(), rules);
    if (read.event() != null) out.collect(StreamItem.of(read.event()));
    else quarantine(record, read.error(), letter -> context.output(DEAD_LETTERS, letter));
  }

  @Override
  public void processBroadcastElement(EventRecord record, Context context, Collector<StreamItem> out)
      throws Exception {
    BroadcastState<String, String> state = context.getBroadcastState(RULES);
    if (rules == null) rules = restored(state);
    int reader = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
    int readers = getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks();
    ReadDefinitions.Read read = ReadDefinitions.read(record.value());
    if (read.definition() == null) {
      // Every reader receives the record: one dead letter is enough.
      if (reader == 0) quarantine(record, read.error(), letter -> context.output(DEAD_LETTERS, letter));
      return;
    }
    ReadDefinitions.Definition step = read.definition();
    String customer = step.customerId();
    String segment = step.segmentId();
    String version = step.version();
    List<SegmentDefinition> mine = new ArrayList<>(rules.getOrDefault(customer, List.of()));
    switch (step.kind()) {
      case ReadDefinitions.DEFINE, ReadDefinitions.DELETE -> {
        if (step.definition() != null) {
          mine.removeIf(d -> d.id().equals(segment) && version.equals(d.version()));
          mine.add(step.definition());
          keep(state, customer, mine);
        }
        out.collect(
            StreamItem.definition(
                customer, DefinitionStep.marker(segment, version, step.text(), reader, readers)));
      }
      case ReadDefinitions.REPLAY -> {
        if (reader != 0) return;
        for (ReadDefinitions.Replayed event : step.events()) {
          out.collect(
              StreamItem.definition(
                  customer,
                  DefinitionStep.replay(segment, version, event.eventId(), event.source(), event.at())));
        }
      }
      default -> {
        // The end: the segment's other rules are no longer met (a deleted segment has none left).
        mine.removeIf(d -> d.id().equals(segment) && !version.equals(d.version()));
        keep(state, customer, mine);
        if (reader == 0) out.collect(StreamItem.definition(customer, DefinitionStep.end(segment, version)));
      }
    }
  }

  private void keep(BroadcastState<String, String> state, String customer, List<SegmentDefinition> mine)
      throws Exception {
    state.put(customer, Json.write(mine));
    rules.put(customer, mine);
  }

  private Map<String, List<SegmentDefinition>> restored(ReadOnlyBroadcastState<String, String> state)
      throws Exception {
    Map<String, List<SegmentDefinition>> all = new HashMap<>(segments);
    for (Map.Entry<String, String> entry : state.immutableEntries()) {
      all.put(entry.getKey(), SegmentDefinitions.listFromState(entry.getValue()));
    }
    return all;
  }

  private static void quarantine(EventRecord record, String reason, Consumer<DeadLetter> output) {
    String raw = record.value();
    output.accept(
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
