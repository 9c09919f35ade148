package dev.pulse.flink.segments;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Segment windows (`30m`, `24h`, `7d`), as contract/src/segment-window.ts parses them. */
public final class SegmentWindow {
  /** The longest window: evidence is kept for the window, so this is a storage bound. */
  public static final long MAX_MS = 90L * 86_400_000L;

  private static final Pattern FORMAT = Pattern.compile("^([1-9]\\d{0,4})([mhd])$");

  private SegmentWindow() {}

  /** The window in ms, or null for anything else or longer than 90 days. */
  public static Long parse(String window) {
    if (window == null) return null;
    Matcher match = FORMAT.matcher(window);
    if (!match.matches()) return null;
    long unit =
        switch (match.group(2)) {
          case "m" -> 60_000L;
          case "h" -> 3_600_000L;
          default -> 86_400_000L;
        };
    long ms = Long.parseLong(match.group(1)) * unit;
    return ms <= MAX_MS ? ms : null;
  }
}
