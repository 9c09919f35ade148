package dev.pulse.flink.engine;

import dev.pulse.flink.event.PulseEvent;
import dev.pulse.flink.segments.SegmentDefinition;
import java.util.ArrayList;
import java.util.List;

/**
 * Identity stitching (tests/vectors/README.md, rule 2; backend/src/processor/identity.ts): links a
 * source (a visitor, or a former user through an alias) to a user's canonical id. The first link
 * of a source wins. A source that was itself a user brings its own sources along, and the
 * memberships it held alone end as {@code merged}: its evidence now counts for the target.
 */
final class Identity {
  /** What one stitch did: the canonical id the source now belongs to, its links and exits. */
  record Stitch(String target, List<IdentityLink> links, List<SegmentChange> merged) {}

  private Identity() {}

  static String canonical(CustomerState state, String id) {
    String user = state.linkOf(id);
    return user != null ? user : id;
  }

  /** Links {@code source} to {@code user}'s canonical id; null when nothing changes. */
  static Stitch stitch(
      CustomerState state,
      List<SegmentDefinition> segments,
      PulseEvent event,
      String source,
      String user,
      long now) {
    String customer = event.customerId();
    String target = canonical(state, user);
    if (source.equals(target) || state.linkOf(source) != null) return null;
    List<String> moved = new ArrayList<>();
    moved.add(source);
    moved.addAll(state.sourcesOf(source));
    state.clearSources(source);
    List<IdentityLink> links = new ArrayList<>();
    for (String id : moved) {
      state.link(id, target);
      links.add(new IdentityLink(customer, id, target, event.timestamp(), event.eventId()));
    }
    List<SegmentChange> merged = new ArrayList<>();
    for (SegmentDefinition segment : segments) {
      if (state.memberEnd(segment.id(), source) == null) continue;
      state.setMember(segment.id(), source, null);
      merged.add(SegmentChange.of(customer, segment.id(), source, "exit", now, "merged"));
    }
    return new Stitch(target, links, merged);
  }
}
