package dev.pulse.flink.engine;

/**
 * A membership's end moved, began or ended (contract/src/segment.ts, MemberEnd); written to
 * `pulse.memberships` so that a loader can keep the state store's memberships (`until` on the
 * profile API, decide) as the TypeScript processor keeps them. Changes on `pulse.segments` say
 * when a profile enters or leaves; these records also carry each later end, which moves with
 * every new piece of evidence.
 *
 * @param until when the membership ends (ISO 8601, ms), or null when the profile is no member
 * @param clock the customer's clock when the end was set (ISO 8601, ms)
 */
public record MemberEnd(
    String customerId, String segmentId, String id, String until, String clock) {}
