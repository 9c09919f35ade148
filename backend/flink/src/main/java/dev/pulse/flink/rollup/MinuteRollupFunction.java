package dev.pulse.flink.rollup;

import dev.pulse.flink.event.IsoTime;
import dev.pulse.flink.event.PulseEvent;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Rollups (tests/vectors/README.md, rule 8), keyed by (customer_id, minute of event time) so one
 * large customer's events spread over every slot. Input events are first-seen ones
 * ({@link FirstSeen}); every event of every type counts, late ones too.
 */
public final class MinuteRollupFunction
    extends KeyedProcessFunction<Tuple2<String, Long>, PulseEvent, MinuteRollup> {

  private transient MapState<String, Long> events;
  private transient MapState<String, Long> pages;
  private transient MapState<String, Boolean> visitors;
  private transient MapState<String, Boolean> sessions;
  private transient ValueState<Long> visitorCount;
  private transient ValueState<Long> sessionCount;

  @Override
  public void open(OpenContext context) {
    var runtime = getRuntimeContext();
    events = runtime.getMapState(new MapStateDescriptor<>("events", Types.STRING, Types.LONG));
    pages = runtime.getMapState(new MapStateDescriptor<>("pages", Types.STRING, Types.LONG));
    visitors = runtime.getMapState(new MapStateDescriptor<>("visitors", Types.STRING, Types.BOOLEAN));
    sessions = runtime.getMapState(new MapStateDescriptor<>("sessions", Types.STRING, Types.BOOLEAN));
    visitorCount = runtime.getState(new ValueStateDescriptor<>("visitor-count", Types.LONG));
    sessionCount = runtime.getState(new ValueStateDescriptor<>("session-count", Types.LONG));
  }

  /** The key of an event: its customer and the start of its minute (ms). */
  public static Tuple2<String, Long> minuteOf(PulseEvent event) {
    return Tuple2.of(event.customerId(), Math.floorDiv(event.timeMs(), 60_000L) * 60_000L);
  }

  @Override
  public void processElement(PulseEvent event, Context context, Collector<MinuteRollup> out)
      throws Exception {
    increment(events, event.eventType() + ":" + event.eventName());
    if (!visitors.contains(event.visitorId())) {
      visitors.put(event.visitorId(), true);
      visitorCount.update(count(visitorCount) + 1);
    }
    if (event.sessionId() != null && !sessions.contains(event.sessionId())) {
      sessions.put(event.sessionId(), true);
      sessionCount.update(count(sessionCount) + 1);
    }
    if (event.eventType().equals("page_view")) {
      if (!event.pagePath().isEmpty()) increment(pages, event.pagePath());
    }
    Tuple2<String, Long> key = context.getCurrentKey();
    out.collect(
        new MinuteRollup(
            key.f0,
            IsoTime.format(key.f1),
            copy(events),
            count(visitorCount),
            count(sessionCount),
            copy(pages)));
  }

  private static void increment(MapState<String, Long> counts, String key) throws Exception {
    Long n = counts.get(key);
    counts.put(key, n == null ? 1 : n + 1);
  }

  private static long count(ValueState<Long> state) throws Exception {
    Long n = state.value();
    return n == null ? 0 : n;
  }

  private static Map<String, Long> copy(MapState<String, Long> counts) throws Exception {
    Map<String, Long> copy = new HashMap<>();
    for (Map.Entry<String, Long> entry : counts.entries()) copy.put(entry.getKey(), entry.getValue());
    return copy;
  }
}
