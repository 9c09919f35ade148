package dev.pulse.flink.engine;

import dev.pulse.flink.event.IsoTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link CustomerState} that notes every membership whose end changed, so that the operator can
 * emit them as {@link MemberEnd} records after each step. Ends set again to the same value are
 * not noted: a member's end is recomputed for every event that touches it.
 */
final class MemberLog implements CustomerState {
  private final CustomerState state;
  /** (segment, id) → the new end (null: no longer a member), in the order they changed. */
  private final Map<Key, Long> changed = new LinkedHashMap<>();

  private record Key(String segment, String id) {}

  MemberLog(CustomerState state) {
    this.state = state;
  }

  /** The ends changed since the last call, in order, as records of {@code customer}. */
  List<MemberEnd> drain(String customer) {
    List<MemberEnd> ends = new ArrayList<>();
    String clock = IsoTime.format(state.clock());
    changed.forEach(
        (member, end) ->
            ends.add(
                new MemberEnd(
                    customer,
                    member.segment(),
                    member.id(),
                    end == null ? null : IsoTime.format(end),
                    clock)));
    changed.clear();
    return ends;
  }

  @Override
  public void setMember(String segment, String id, Long end) {
    Long before = state.memberEnd(segment, id);
    if (before == null ? end == null : before.equals(end)) return;
    state.setMember(segment, id, end);
    note(segment, id, end);
  }

  @Override
  public List<Member> removeMembersEndingBy(long upTo) {
    List<Member> removed = state.removeMembersEndingBy(upTo);
    for (Member member : removed) note(member.segment(), member.id(), null);
    return removed;
  }

  private void note(String segment, String id, Long end) {
    Key key = new Key(segment, id);
    changed.remove(key); // re-inserted last: records follow the order of each one's last change
    changed.put(key, end);
  }

  @Override
  public List<Member> membersOf(String segment) {
    return state.membersOf(segment);
  }

  @Override
  public void clearEvidence(String segment) {
    state.clearEvidence(segment);
  }

  @Override
  public long clock() {
    return state.clock();
  }

  @Override
  public void setClock(long at) {
    state.setClock(at);
  }

  @Override
  public String linkOf(String source) {
    return state.linkOf(source);
  }

  @Override
  public List<String> sourcesOf(String user) {
    return state.sourcesOf(user);
  }

  @Override
  public void link(String source, String user) {
    state.link(source, user);
  }

  @Override
  public void clearSources(String user) {
    state.clearSources(user);
  }

  @Override
  public void unlink(String source) {
    state.unlink(source);
  }

  @Override
  public Map<String, Long> evidence(String segment, String source) {
    return state.evidence(segment, source);
  }

  @Override
  public void putEvidence(String segment, String source, Map<String, Long> evidence) {
    state.putEvidence(segment, source, evidence);
  }

  @Override
  public Long memberEnd(String segment, String id) {
    return state.memberEnd(segment, id);
  }
}
