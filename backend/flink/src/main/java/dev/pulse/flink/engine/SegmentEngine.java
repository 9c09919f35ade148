package dev.pulse.flink.engine;

import dev.pulse.flink.event.PulseEvent;
import dev.pulse.flink.segments.SegmentDefinition;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One customer's identity, clock and segments, step by step (tests/vectors/README.md, rule 5;
 * the TypeScript engine is backend/src/processor/plan-batch.ts). Pure: it reads and writes the
 * {@link CustomerState} it is given and returns what the step emitted, in emission order.
 */
public final class SegmentEngine {
  /** What one step emitted: segment changes in order, and identity links. */
  public record Step(List<SegmentChange> changes, List<IdentityLink> links) {}

  private SegmentEngine() {}

  /** The wall clock moved on to {@code at}: advance the clock, then expire (rule 6). */
  public static Step tick(String customer, CustomerState state, long at) {
    advanceClock(state, at);
    return new Step(Membership.expire(customer, state), List.of());
  }

  /** One event: clock, expire, link, evidence, evaluate (rule 5), in that order. */
  public static Step event(CustomerState state, List<SegmentDefinition> segments, PulseEvent event) {
    String customer = event.customerId();
    long now = advanceClock(state, event.clockTime());
    List<SegmentChange> changes = new ArrayList<>(Membership.expire(customer, state));
    List<IdentityLink> links = new ArrayList<>();

    Set<String> touched = new LinkedHashSet<>();
    List<SegmentChange> merged = new ArrayList<>();
    List<Identity.Stitch> stitched = new ArrayList<>();
    if (event.userId() != null && !event.userId().equals(event.visitorId()))
      stitched.add(Identity.stitch(state, segments, event, event.visitorId(), event.userId(), now));
    if (event.eventType().equals("alias") && event.previousId() != null && event.userId() != null)
      stitched.add(Identity.stitch(state, segments, event, event.previousId(), event.userId(), now));
    for (Identity.Stitch done : stitched) {
      if (done == null) continue;
      links.addAll(done.links());
      merged.addAll(done.merged());
      touched.add(done.target());
    }
    merged.sort(Membership.BY_SEGMENT_THEN_ID);
    changes.addAll(merged);

    String source = event.source();
    long at = event.timeMs();
    for (SegmentDefinition segment : segments) {
      if (at <= now - segment.windowMs() || !event.matches(segment.ruleKey())) continue;
      addEvidence(state, segment, source, event.eventId(), at);
      touched.add(Identity.canonical(state, source));
    }
    changes.addAll(Membership.update(customer, state, segments, touched, now));
    return new Step(changes, links);
  }

  /**
   * One event of a segment's history, replayed by the segment API after the segment was defined
   * or redefined (backend/src/api/segments/backfill-segment.ts does the same through the TS
   * processor): its evidence for that segment alone, and the membership it changes. The clock,
   * identity and the other segments stay as they are: the event went through them when it was
   * first processed. Evidence the clock has left behind counts for nothing, as for any event.
   */
  public static Step replay(
      String customer,
      CustomerState state,
      SegmentDefinition segment,
      String source,
      String eventId,
      long at) {
    long now = state.clock();
    if (now == Long.MIN_VALUE || at <= now - segment.windowMs()) return new Step(List.of(), List.of());
    addEvidence(state, segment, source, eventId, at);
    List<String> touched = List.of(Identity.canonical(state, source));
    return new Step(Membership.update(customer, state, List.of(segment), touched, now), List.of());
  }

  /**
   * A profile deleted through the profile API: forget its user and every source linked to it
   * (links, sources, evidence, memberships), as the state store's {@code deleteProfile} does
   * (backend/src/state/). Nothing is announced; the ends of its memberships go out as ended, so
   * the loader clears what the API may not have seen yet. The clock and other profiles stay.
   */
  public static void forget(CustomerState state, List<SegmentDefinition> segments, String id) {
    String user = state.linkOf(id);
    List<String> ids = new ArrayList<>();
    ids.add(user == null ? id : user);
    ids.addAll(state.sourcesOf(ids.get(0)));
    for (String one : ids) {
      state.unlink(one);
      state.clearSources(one);
      for (SegmentDefinition segment : segments) {
        state.putEvidence(segment.id(), one, Map.of());
        state.setMember(segment.id(), one, null);
      }
    }
  }

  private static long advanceClock(CustomerState state, long to) {
    long now = Math.max(state.clock(), to);
    if (now != state.clock()) state.setClock(now);
    return now;
  }

  /**
   * Adds evidence unless the event_id is already there (its first time wins), and drops what the
   * clock has left behind: evidence at or before {@code clock - window} can never count again.
   */
  private static void addEvidence(
      CustomerState state, SegmentDefinition segment, String source, String eventId, long at) {
    Map<String, Long> evidence = state.evidence(segment.id(), source);
    if (evidence.containsKey(eventId)) return;
    long pruneUpTo = state.clock() - segment.windowMs();
    evidence.values().removeIf(time -> time <= pruneUpTo);
    evidence.put(eventId, at);
    state.putEvidence(segment.id(), source, evidence);
  }
}
