package dev.pulse.flink.rollup;

import dev.pulse.flink.event.PulseEvent;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import java.time.Duration;

/**
 * Passes each event_id of a customer once (tests/vectors/README.md, rule 7): keyed by
 * (customer_id, event_id), so this per-event work spreads over every slot whatever the customers'
 * sizes. What it remembers expires after {@code retention} of processing time (the warehouse
 * keeps raw events 7 days; a replay older than that is counted again, as a resend to the
 * warehouse after its TTL would be).
 */
public final class FirstSeen
    extends KeyedProcessFunction<Tuple2<String, String>, PulseEvent, PulseEvent> {
  private final Duration retention;
  private transient ValueState<Boolean> seen;

  public FirstSeen(Duration retention) {
    this.retention = retention;
  }

  @Override
  public void open(OpenContext context) {
    ValueStateDescriptor<Boolean> descriptor = new ValueStateDescriptor<>("seen", Types.BOOLEAN);
    descriptor.enableTimeToLive(StateTtlConfig.newBuilder(retention).build());
    seen = getRuntimeContext().getState(descriptor);
  }

  @Override
  public void processElement(PulseEvent event, Context context, Collector<PulseEvent> out)
      throws Exception {
    if (seen.value() != null) return;
    seen.update(true);
    out.collect(event);
  }
}
