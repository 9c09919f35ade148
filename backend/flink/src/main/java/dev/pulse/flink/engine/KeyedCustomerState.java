package dev.pulse.flink.engine;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;

/**
 * {@link CustomerState} in Flink keyed state: the operator is keyed by customer_id, so every
 * state below is that customer's, checkpointed with the job and restored after a failure.
 * Composite keys are tuples, so no separator inside an id can move state to another profile.
 */
final class KeyedCustomerState implements CustomerState {
  private static final TypeInformation<Tuple2<String, String>> PAIR =
      Types.TUPLE(Types.STRING, Types.STRING);

  private final ValueState<Long> clock;
  private final MapState<String, String> links;
  private final MapState<String, List<String>> sources;
  /** (segment, source) → event_id → event time. */
  private final MapState<Tuple2<String, String>, Map<String, Long>> evidence;
  /** (segment, profile) → end of membership; only members are present. */
  private final MapState<Tuple2<String, String>, Long> members;
  /**
   * A lower bound of every membership end (empty: no member yet). A member's end only moves later
   * while it stays a member, so the bound is lowered when a member is set and made exact again by
   * the scan that runs once the clock reaches it: most events check expiry in O(1).
   */
  private final ValueState<Long> endsFrom;

  KeyedCustomerState(RuntimeContext context) {
    clock = context.getState(new ValueStateDescriptor<>("clock", Types.LONG));
    links = context.getMapState(new MapStateDescriptor<>("links", Types.STRING, Types.STRING));
    sources =
        context.getMapState(
            new MapStateDescriptor<>("sources", Types.STRING, Types.LIST(Types.STRING)));
    evidence =
        context.getMapState(
            new MapStateDescriptor<>("evidence", PAIR, Types.MAP(Types.STRING, Types.LONG)));
    members = context.getMapState(new MapStateDescriptor<>("members", PAIR, Types.LONG));
    endsFrom = context.getState(new ValueStateDescriptor<>("ends-from", Types.LONG));
  }

  @Override
  public long clock() {
    Long at = read(clock);
    return at == null ? Long.MIN_VALUE : at;
  }

  @Override
  public void setClock(long at) {
    write(() -> clock.update(at));
  }

  @Override
  public String linkOf(String source) {
    return read(() -> links.get(source));
  }

  @Override
  public List<String> sourcesOf(String user) {
    List<String> found = read(() -> sources.get(user));
    return found == null ? List.of() : found;
  }

  @Override
  public void link(String source, String user) {
    write(
        () -> {
          links.put(source, user);
          List<String> list = new ArrayList<>(sourcesOf(user));
          if (!list.contains(source)) list.add(source);
          sources.put(user, list);
        });
  }

  @Override
  public void clearSources(String user) {
    write(() -> sources.remove(user));
  }

  @Override
  public void unlink(String source) {
    write(() -> links.remove(source));
  }

  @Override
  public Map<String, Long> evidence(String segment, String source) {
    Map<String, Long> found = read(() -> evidence.get(Tuple2.of(segment, source)));
    return found == null ? new HashMap<>() : found;
  }

  @Override
  public void putEvidence(String segment, String source, Map<String, Long> times) {
    Tuple2<String, String> key = Tuple2.of(segment, source);
    write(() -> {
      if (times.isEmpty()) evidence.remove(key);
      else evidence.put(key, times);
    });
  }

  @Override
  public Long memberEnd(String segment, String id) {
    return read(() -> members.get(Tuple2.of(segment, id)));
  }

  @Override
  public void setMember(String segment, String id, Long end) {
    write(
        () -> {
          Tuple2<String, String> key = Tuple2.of(segment, id);
          if (end == null) {
            members.remove(key);
            return;
          }
          members.put(key, end);
          Long from = endsFrom.value();
          if (from == null || end < from) endsFrom.update(end);
        });
  }

  @Override
  public List<Member> removeMembersEndingBy(long upTo) {
    return read(
        () -> {
          Long from = endsFrom.value();
          if (from == null || from > upTo) return List.of();
          // The clock reached the bound: find who is due, and the exact bound of the others.
          List<Member> due = new ArrayList<>();
          long rest = Long.MAX_VALUE;
          for (Map.Entry<Tuple2<String, String>, Long> member : members.entries()) {
            long end = member.getValue();
            if (end <= upTo) due.add(new Member(member.getKey().f0, member.getKey().f1, end));
            else rest = Math.min(rest, end);
          }
          for (Member member : due) members.remove(Tuple2.of(member.segment(), member.id()));
          if (rest == Long.MAX_VALUE) endsFrom.clear();
          else endsFrom.update(rest);
          return due;
        });
  }

  @Override
  public List<Member> membersOf(String segment) {
    return read(
        () -> {
          List<Member> found = new ArrayList<>();
          for (Map.Entry<Tuple2<String, String>, Long> member : members.entries()) {
            if (member.getKey().f0.equals(segment))
              found.add(new Member(segment, member.getKey().f1, member.getValue()));
          }
          return found;
        });
  }

  @Override
  public void clearEvidence(String segment) {
    write(
        () -> {
          List<Tuple2<String, String>> keys = new ArrayList<>();
          for (Tuple2<String, String> key : evidence.keys()) if (key.f0.equals(segment)) keys.add(key);
          for (Tuple2<String, String> key : keys) evidence.remove(key);
        });
  }

  /** State access throws checked exceptions only when the backend fails: not ours to handle. */
  private interface Access<T> {
    T get() throws Exception;
  }

  private interface Change {
    void run() throws Exception;
  }

  private static <T> T read(ValueState<T> state) {
    return read(state::value);
  }

  private static <T> T read(Access<T> access) {
    try {
      return access.get();
    } catch (Exception e) {
      throw new IllegalStateException("keyed state could not be read", e);
    }
  }

  private static void write(Change change) {
    try {
      change.run();
    } catch (Exception e) {
      throw new IllegalStateException("keyed state could not be written", e);
    }
  }
}
