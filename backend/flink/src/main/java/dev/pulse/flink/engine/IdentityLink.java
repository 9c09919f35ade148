package dev.pulse.flink.engine;

/**
 * A source (a visitor, or a former user given to alias) now belongs to a user
 * (contract/src/segment.ts, IdentityLink); written to `pulse.identity`.
 *
 * @param at the timestamp of the event that made the link, as it was written
 */
public record IdentityLink(
    String customerId, String sourceId, String userId, String at, String eventId) {}
