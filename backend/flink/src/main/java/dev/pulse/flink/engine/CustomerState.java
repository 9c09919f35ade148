package dev.pulse.flink.engine;

import java.util.List;
import java.util.Map;

/**
 * Everything the engine keeps for one customer: its clock, identity graph, segment evidence and
 * memberships. One customer's state is read and written by one operator instance only (the
 * stream is keyed by customer), so no two writers ever race on it.
 */
public interface CustomerState {
  /** The customer's clock (ms); {@link Long#MIN_VALUE} before its first event or tick. */
  long clock();

  void setClock(long at);

  /** The user a source is linked to, or null. */
  String linkOf(String source);

  /** The sources linked to a user (not including the user itself). */
  List<String> sourcesOf(String user);

  /** Links a source to a user and adds it to the user's sources; the caller checks the rules. */
  void link(String source, String user);

  void clearSources(String user);

  /** Removes a source's link (a deleted profile). */
  void unlink(String source);

  /** event_id → event time of the evidence a source has for a segment (never null). */
  Map<String, Long> evidence(String segment, String source);

  /** Sets a source's evidence for a segment; an empty map removes it. */
  void putEvidence(String segment, String source, Map<String, Long> evidence);

  /** When a member's membership ends, or null when the profile is not a member. */
  Long memberEnd(String segment, String id);

  /** Sets (or, with null, ends) a membership. */
  void setMember(String segment, String id, Long end);

  /** Every member of a segment, in no particular order. */
  List<Member> membersOf(String segment);

  /** Drops every source's evidence for a segment (a segment redefined or deleted). */
  void clearEvidence(String segment);

  /**
   * Ends every membership that ends at or before {@code upTo} and returns them, in no particular
   * order.
   */
  List<Member> removeMembersEndingBy(long upTo);

  /** A membership: profile {@code id} is in {@code segment} until {@code end}. */
  record Member(String segment, String id, long end) {}
}
