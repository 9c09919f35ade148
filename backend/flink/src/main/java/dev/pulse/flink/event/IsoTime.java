package dev.pulse.flink.event;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** ISO 8601 times as the TypeScript side writes them: `2025-01-21T10:30:00.000Z`. */
public final class IsoTime {
  private static final DateTimeFormatter FORMAT =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private IsoTime() {}

  /** {@code new Date(ms).toISOString()} for the years the contract allows (1970–2100). */
  public static String format(long ms) {
    return FORMAT.format(Instant.ofEpochMilli(ms));
  }

  /** Milliseconds since the epoch, or null when the text is not an ISO 8601 time with a zone. */
  public static Long parse(String text) {
    if (text == null) return null;
    try {
      return OffsetDateTime.parse(text).toInstant().toEpochMilli();
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
