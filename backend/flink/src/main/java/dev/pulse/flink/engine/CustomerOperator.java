package dev.pulse.flink.engine;

import dev.pulse.flink.segments.SegmentDefinition;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * The identity + clock + segment operator, keyed by customer_id: every event and tick of a
 * customer passes through the one instance that holds that customer's state, in stream order, so
 * the customer's single clock, its identity graph and its memberships are never shared between
 * instances (backend/flink/README.md, "Design"). Emits segment changes; identity links go to
 * {@link #LINKS}, and every membership whose end changed to {@link #MEMBERS}.
 *
 * <p>With {@code tickMs > 0} (the Kafka job) the wall clock ticks each customer with segments
 * every {@code tickMs} on a processing-time timer, as the TypeScript processor ticks every
 * customer with segments; the first event of such a customer is preceded by a tick, since the
 * TypeScript ticker has been moving that customer's clock all along.
 */
public final class CustomerOperator extends KeyedProcessFunction<String, StreamItem, SegmentChange> {
  public static final OutputTag<IdentityLink> LINKS = new OutputTag<>("links") {};
  public static final OutputTag<MemberEnd> MEMBERS = new OutputTag<>("members") {};

  private final Map<String, List<SegmentDefinition>> segments;
  private final long tickMs;
  private transient MemberLog state;
  private transient ValueState<Long> nextTick;

  public CustomerOperator(Map<String, List<SegmentDefinition>> segments, long tickMs) {
    this.segments = segments;
    this.tickMs = tickMs;
  }

  @Override
  public void open(OpenContext context) {
    state = new MemberLog(new KeyedCustomerState(getRuntimeContext()));
    nextTick = getRuntimeContext().getState(new ValueStateDescriptor<>("next-tick", Types.LONG));
  }

  @Override
  public void processElement(StreamItem item, Context context, Collector<SegmentChange> out)
      throws Exception {
    String customer = context.getCurrentKey();
    List<SegmentDefinition> mine = segments.getOrDefault(customer, List.of());
    if (tickMs > 0 && !mine.isEmpty() && nextTick.value() == null) {
      long now = context.timerService().currentProcessingTime();
      emit(SegmentEngine.tick(customer, state, now), out, context);
      scheduleTick(context.timerService().currentProcessingTime(), context);
    }
    if (item.forget() != null) {
      SegmentEngine.forget(state, mine, item.forget());
      emit(new SegmentEngine.Step(List.of(), List.of()), out, context);
      return;
    }
    SegmentEngine.Step step =
        item.event() != null
            ? SegmentEngine.event(state, mine, item.event())
            : SegmentEngine.tick(customer, state, item.tickAt());
    emit(step, out, context);
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext context, Collector<SegmentChange> out)
      throws Exception {
    long now = context.timerService().currentProcessingTime();
    emit(SegmentEngine.tick(context.getCurrentKey(), state, now), out, context);
    scheduleTick(now, context);
  }

  private void scheduleTick(long now, Context context) throws Exception {
    long at = now + tickMs;
    context.timerService().registerProcessingTimeTimer(at);
    nextTick.update(at);
  }

  private void emit(SegmentEngine.Step step, Collector<SegmentChange> out, Context context) {
    step.changes().forEach(out::collect);
    step.links().forEach(link -> context.output(LINKS, link));
    state.drain(context.getCurrentKey()).forEach(end -> context.output(MEMBERS, end));
  }
}
