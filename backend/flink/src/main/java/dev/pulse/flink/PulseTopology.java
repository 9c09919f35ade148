package dev.pulse.flink;

import dev.pulse.flink.engine.CustomerOperator;
import dev.pulse.flink.engine.DefinitionAck;
import dev.pulse.flink.engine.IdentityLink;
import dev.pulse.flink.engine.MemberEnd;
import dev.pulse.flink.engine.SegmentChange;
import dev.pulse.flink.engine.StreamItem;
import dev.pulse.flink.event.PulseEvent;
import dev.pulse.flink.rollup.FirstSeen;
import dev.pulse.flink.rollup.MinuteRollup;
import dev.pulse.flink.rollup.MinuteRollupFunction;
import dev.pulse.flink.segments.SegmentDefinition;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeHint;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

/**
 * The processing job's graph, shared by the Kafka job and the vector runner:
 *
 * <pre>
 * items ─keyBy(customer_id)──────────► CustomerOperator ─► segment changes (+ identity links,
 *   │                                                       membership ends)
 *   └─ events ─keyBy(customer, event_id)─► FirstSeen ─keyBy(customer, minute)─► MinuteRollupFunction
 * </pre>
 *
 * The Kafka job builds only the segment part: the warehouse computes the dashboards' rollups from
 * the events the loader writes. The vector runner builds both, since the vectors define rollups.
 *
 * <p>Items of one customer must arrive in stream order; keyBy keeps the order of each upstream
 * instance, so a source that reads one customer's records in order keeps them in order.
 */
public final class PulseTopology {
  /** What the segment part produces. */
  public record SegmentOutputs(
      DataStream<SegmentChange> changes,
      DataStream<IdentityLink> links,
      DataStream<MemberEnd> memberEnds,
      DataStream<DefinitionAck> definitionAcks) {}

  /** What the rollup part produces. */
  public record RollupOutputs(DataStream<PulseEvent> firstSeen, DataStream<MinuteRollup> rollups) {}

  /**
   * Chained operators hand their records on without a copy: no function here keeps or changes a
   * record it was given (records are immutable; state holds copies of what it keeps). The vector
   * runner runs with the same setting, so the vectors prove it.
   */
  public static final boolean OBJECT_REUSE = true;

  private static final TypeInformation<Tuple2<String, String>> EVENT_KEY =
      new TypeHint<Tuple2<String, String>>() {}.getTypeInfo();
  private static final TypeInformation<Tuple2<String, Long>> MINUTE_KEY =
      new TypeHint<Tuple2<String, Long>>() {}.getTypeInfo();

  private PulseTopology() {}

  /**
   * Identity, clock and segments. The items' events must have been read with the same {@code
   * segments} ({@link dev.pulse.flink.event.EventReader}: it says which rules each event meets).
   *
   * @param segments customer_id → its segment definitions
   * @param tickMs how often the wall clock ticks each customer with segments; 0 for never (the
   *     vectors carry their ticks as items)
   */
  public static SegmentOutputs segments(
      DataStream<StreamItem> items, Map<String, List<SegmentDefinition>> segments, long tickMs) {
    SingleOutputStreamOperator<SegmentChange> changes =
        items
            .keyBy(StreamItem::customerId)
            .process(new CustomerOperator(segments, tickMs))
            .name("identity, clock and segments (by customer)")
            .uid("customer-segments");
    return new SegmentOutputs(
        changes,
        changes.getSideOutput(CustomerOperator.LINKS),
        changes.getSideOutput(CustomerOperator.MEMBERS),
        changes.getSideOutput(CustomerOperator.ACKS));
  }

  /**
   * Per-minute rollups of first-seen events.
   *
   * @param dedupRetention how long an event_id is remembered for rollups
   */
  public static RollupOutputs rollups(DataStream<StreamItem> items, Duration dedupRetention) {
    DataStream<PulseEvent> events =
        items
            .filter(item -> item.event() != null)
            .name("events")
            .map(StreamItem::event)
            .returns(PulseEvent.class);
    DataStream<PulseEvent> firstSeen =
        events
            .keyBy(event -> Tuple2.of(event.customerId(), event.eventId()), EVENT_KEY)
            .process(new FirstSeen(dedupRetention))
            .name("first sight of each event_id")
            .uid("first-seen");
    DataStream<MinuteRollup> rollups =
        firstSeen
            .keyBy(MinuteRollupFunction::minuteOf, MINUTE_KEY)
            .process(new MinuteRollupFunction())
            .name("rollups (by customer and minute)")
            .uid("minute-rollups");
    return new RollupOutputs(firstSeen, rollups);
  }
}
