package dev.pulse.flink.rollup;

import java.util.Map;

/**
 * Per customer and minute of event time: what dashboards read (contract/src/segment.ts,
 * MinuteRollup). Counts are of distinct event_ids. Each new event of the minute emits the whole
 * row again, so the latest row of a (customer, minute) is its value (an upsert).
 *
 * @param minute start of the minute, ISO 8601
 * @param events distinct events by {@code <event_type>:<event_name>}
 * @param pages distinct page_view events by page path
 */
public record MinuteRollup(
    String customerId,
    String minute,
    Map<String, Long> events,
    long visitors,
    long sessions,
    Map<String, Long> pages) {}
