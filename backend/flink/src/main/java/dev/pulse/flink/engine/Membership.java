package dev.pulse.flink.engine;

import dev.pulse.flink.segments.SegmentDefinition;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Segment membership (tests/vectors/README.md, rules 4 and 5; backend/src/segments/membership.ts):
 * when a membership ends, which members expire, and who enters or leaves after an event.
 */
final class Membership {
  /** The order the changes of one step are announced in: by segment, then by profile. */
  static final Comparator<SegmentChange> BY_SEGMENT_THEN_ID =
      Comparator.comparing(SegmentChange::segmentId).thenComparing(SegmentChange::id);

  private Membership() {}

  /**
   * When a profile's membership ends given its evidence up to {@code now}, or null when it is not
   * a member: {@code t_k + window} for the {@code min_count}-th newest distinct evidence time
   * inside the window, over the profile and every source stitched to it.
   */
  static Long end(CustomerState state, SegmentDefinition segment, String profile, long now) {
    List<Long> times = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    List<String> sources = new ArrayList<>();
    sources.add(profile);
    sources.addAll(state.sourcesOf(profile));
    long from = now - segment.windowMs();
    for (String source : sources) {
      for (Map.Entry<String, Long> evidence : state.evidence(segment.id(), source).entrySet()) {
        long at = evidence.getValue();
        if (at > now || at <= from || !seen.add(evidence.getKey())) continue;
        times.add(at);
      }
    }
    if (times.size() < segment.minCount()) return null;
    times.sort(Comparator.reverseOrder());
    return times.get(segment.minCount() - 1) + segment.windowMs();
  }

  /** Members whose window the customer's clock has passed leave ({@code reason: window}). */
  static List<SegmentChange> expire(String customer, CustomerState state) {
    List<CustomerState.Member> due = new ArrayList<>(state.removeMembersEndingBy(state.clock()));
    due.sort(
        Comparator.comparingLong(CustomerState.Member::end)
            .thenComparing(CustomerState.Member::segment)
            .thenComparing(CustomerState.Member::id));
    List<SegmentChange> changes = new ArrayList<>();
    for (CustomerState.Member member : due) {
      changes.add(
          SegmentChange.of(customer, member.segment(), member.id(), "exit", member.end(), "window"));
    }
    return changes;
  }

  /**
   * Re-evaluates the profiles an event touched: one that now meets a rule enters (or has its end
   * moved), one that no longer does leaves.
   */
  static List<SegmentChange> update(
      String customer,
      CustomerState state,
      List<SegmentDefinition> segments,
      Collection<String> touched,
      long now) {
    List<SegmentChange> changes = new ArrayList<>();
    for (String id : touched) {
      for (SegmentDefinition segment : segments) {
        Long end = end(state, segment, id, now);
        boolean wasMember = state.memberEnd(segment.id(), id) != null;
        if (end != null) {
          state.setMember(segment.id(), id, end);
          if (!wasMember) changes.add(SegmentChange.of(customer, segment.id(), id, "enter", now, "rule"));
        } else if (wasMember) {
          // Evidence only grows between expiries, so this is reached only by a clock that moved
          // without an expiry pass; leave rather than keep a stale member (as the TS engine does).
          state.setMember(segment.id(), id, null);
          changes.add(SegmentChange.of(customer, segment.id(), id, "exit", now, "window"));
        }
      }
    }
    changes.sort(BY_SEGMENT_THEN_ID);
    return changes;
  }
}
