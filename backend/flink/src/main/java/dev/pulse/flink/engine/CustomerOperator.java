package dev.pulse.flink.engine;

import dev.pulse.flink.Json;
import dev.pulse.flink.event.IsoTime;
import dev.pulse.flink.segments.SegmentDefinition;
import dev.pulse.flink.segments.SegmentDefinitions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
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
 * {@link #LINKS}, every membership whose end changed to {@link #MEMBERS}, and what it did with a
 * segment defined through the API to {@link #ACKS}.
 *
 * <p>With {@code tickMs > 0} (the Kafka job) the wall clock ticks each customer with segments
 * every {@code tickMs} on a processing-time timer, as the TypeScript processor ticks every
 * customer with segments; the first event of such a customer is preceded by a tick, since the
 * TypeScript ticker has been moving that customer's clock all along.
 *
 * <p>A customer's definitions are the segments file's until the segment API changes one; from
 * then on they are in keyed state. A change goes: markers from every reader (then the switch:
 * the segment's old evidence and members are dropped, the members set aside), the replayed
 * history, and the end (set-aside members the new rule does not keep exit with {@code
 * redefined}). Members set aside do not enter again while the history comes in.
 */
public final class CustomerOperator extends KeyedProcessFunction<String, StreamItem, SegmentChange> {
  public static final OutputTag<IdentityLink> LINKS = new OutputTag<>("links") {};
  public static final OutputTag<MemberEnd> MEMBERS = new OutputTag<>("members") {};
  public static final OutputTag<DefinitionAck> ACKS = new OutputTag<>("definition-acks") {};

  private final Map<String, List<SegmentDefinition>> segments;
  private final long tickMs;
  private transient MemberLog state;
  private transient ValueState<Long> nextTick;
  /** The customer's definitions as JSON, once the API changed one (else the file's hold). */
  private transient ValueState<String> definitions;
  /** A definition's version → the readers that have it (its markers so far). */
  private transient MapState<String, List<Integer>> markers;
  /** segment → members announced under its old rule, until the new rule's history is in. */
  private transient MapState<String, List<String>> setAside;
  /** Parsed definitions of the customers seen since the instance started (or restored). */
  private transient Map<String, List<SegmentDefinition>> parsed;

  public CustomerOperator(Map<String, List<SegmentDefinition>> segments, long tickMs) {
    this.segments = segments;
    this.tickMs = tickMs;
  }

  @Override
  public void open(OpenContext context) {
    state = new MemberLog(new KeyedCustomerState(getRuntimeContext()));
    nextTick = getRuntimeContext().getState(new ValueStateDescriptor<>("next-tick", Types.LONG));
    definitions =
        getRuntimeContext().getState(new ValueStateDescriptor<>("definitions", Types.STRING));
    markers =
        getRuntimeContext()
            .getMapState(
                new MapStateDescriptor<>(
                    "definition-markers", Types.STRING, Types.LIST(Types.INT)));
    setAside =
        getRuntimeContext()
            .getMapState(
                new MapStateDescriptor<>("set-aside", Types.STRING, Types.LIST(Types.STRING)));
    parsed = new HashMap<>();
  }

  @Override
  public void processElement(StreamItem item, Context context, Collector<SegmentChange> out)
      throws Exception {
    String customer = context.getCurrentKey();
    List<SegmentDefinition> mine = definitionsOf(customer);
    if (tickMs > 0 && !mine.isEmpty() && nextTick.value() == null) {
      long now = context.timerService().currentProcessingTime();
      emit(SegmentEngine.tick(customer, state, now), out, context);
      scheduleTick(context.timerService().currentProcessingTime(), context);
    }
    if (item.definition() != null) {
      definitionStep(customer, mine, item.definition(), out, context);
      return;
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

  private void definitionStep(
      String customer,
      List<SegmentDefinition> mine,
      DefinitionStep step,
      Collector<SegmentChange> out,
      Context context)
      throws Exception {
    String segment = step.segmentId();
    switch (step.kind()) {
      case DefinitionStep.MARKER -> {
        List<Integer> have = markers.get(step.version());
        List<Integer> readers = have == null ? new ArrayList<>() : new ArrayList<>(have);
        if (!readers.contains(step.reader())) readers.add(step.reader());
        if (readers.size() < step.readers()) {
          markers.put(step.version(), readers);
          return;
        }
        markers.remove(step.version());
        switchSegment(customer, mine, step, context);
        emit(new SegmentEngine.Step(List.of(), List.of()), out, context);
      }
      case DefinitionStep.REPLAY -> {
        SegmentDefinition definition = find(mine, segment, step.version());
        if (definition == null) return; // a history for a rule since replaced or deleted
        emit(
            SegmentEngine.replay(customer, state, definition, step.source(), step.eventId(), step.at()),
            out,
            context);
      }
      default -> {
        List<String> kept = new ArrayList<>();
        for (CustomerState.Member member : state.membersOf(segment)) kept.add(member.id());
        List<String> leaving = new ArrayList<>();
        SegmentDefinition current = find(mine, segment);
        // The end of a version a later define has replaced (two backends finishing the same
        // write) ends nothing: the set-aside members wait for the end of the version that holds.
        if (current == null || step.version().equals(current.version())) {
          List<String> aside = setAside.get(segment);
          setAside.remove(segment);
          if (aside != null) for (String id : aside) if (!kept.contains(id)) leaving.add(id);
          leaving.sort(null);
        }
        long at = state.clock() == Long.MIN_VALUE ? 0 : state.clock();
        for (String id : leaving)
          out.collect(SegmentChange.of(customer, segment, id, "exit", at, "redefined"));
        context.output(
            ACKS,
            new DefinitionAck(
                customer,
                segment,
                step.version(),
                DefinitionAck.ENDED,
                kept.size(),
                leaving.size(),
                clockText()));
      }
    }
  }

  /**
   * Every reader now meets events with the new rule: from here on the segment counts with it
   * alone. Its old evidence goes; its members are set aside (a deleted segment's are dropped, and
   * nothing is announced, as the segment API's delete announces nothing).
   */
  private void switchSegment(
      String customer, List<SegmentDefinition> mine, DefinitionStep step, Context context)
      throws Exception {
    String segment = step.segmentId();
    SegmentDefinition next =
        step.definition() == null
            ? null
            : SegmentDefinitions.oneFromState(step.definition(), step.version());
    List<String> aside = setAside.get(segment);
    List<String> ids = aside == null ? new ArrayList<>() : new ArrayList<>(aside);
    for (CustomerState.Member member : state.membersOf(segment)) {
      if (next != null && !ids.contains(member.id())) ids.add(member.id());
      state.setMember(segment, member.id(), null);
    }
    if (next != null && !ids.isEmpty()) setAside.put(segment, ids);
    else setAside.remove(segment);
    state.clearEvidence(segment);
    List<SegmentDefinition> now = new ArrayList<>(mine);
    now.removeIf(d -> d.id().equals(segment));
    if (next != null) now.add(next);
    definitions.update(Json.write(now));
    parsed.put(customer, now);
    context.output(
        ACKS,
        new DefinitionAck(
            customer, segment, step.version(), DefinitionAck.SWITCHED, 0, 0, clockText()));
  }

  private String clockText() {
    return state.clock() == Long.MIN_VALUE ? null : IsoTime.format(state.clock());
  }

  private List<SegmentDefinition> definitionsOf(String customer) throws Exception {
    List<SegmentDefinition> mine = parsed.get(customer);
    if (mine != null) return mine;
    String text = definitions.value();
    mine =
        text == null
            ? segments.getOrDefault(customer, List.of())
            : SegmentDefinitions.listFromState(text);
    parsed.put(customer, mine);
    return mine;
  }

  private static SegmentDefinition find(List<SegmentDefinition> mine, String id) {
    for (SegmentDefinition definition : mine) if (definition.id().equals(id)) return definition;
    return null;
  }

  private static SegmentDefinition find(List<SegmentDefinition> mine, String id, String version) {
    for (SegmentDefinition definition : mine)
      if (definition.id().equals(id) && version.equals(definition.version())) return definition;
    return null;
  }

  private void scheduleTick(long now, Context context) throws Exception {
    long at = now + tickMs;
    context.timerService().registerProcessingTimeTimer(at);
    nextTick.update(at);
  }

  /**
   * Emits a step's output. An enter of a member set aside by a redefinition is not announced (it
   * was never announced as gone); an exit of one stands, and it is no longer set aside.
   */
  private void emit(SegmentEngine.Step step, Collector<SegmentChange> out, Context context)
      throws Exception {
    // Most steps announce nothing: only then is the set-aside state read.
    boolean anyAside = !step.changes().isEmpty() && !setAside.isEmpty();
    for (SegmentChange change : step.changes()) {
      if (anyAside) {
        List<String> aside = setAside.get(change.segmentId());
        if (aside != null && aside.contains(change.id())) {
          if (change.change().equals("enter")) continue;
          List<String> rest = new ArrayList<>(aside);
          rest.remove(change.id());
          if (rest.isEmpty()) setAside.remove(change.segmentId());
          else setAside.put(change.segmentId(), rest);
        }
      }
      out.collect(change);
    }
    step.links().forEach(link -> context.output(LINKS, link));
    state.drain(context.getCurrentKey()).forEach(end -> context.output(MEMBERS, end));
  }
}
