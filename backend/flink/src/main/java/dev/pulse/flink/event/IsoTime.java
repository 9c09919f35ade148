package dev.pulse.flink.event;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ISO 8601 times as the TypeScript side writes them ({@code 2025-01-21T10:30:00.000Z}) and in the
 * other forms the contract accepts.
 */
public final class IsoTime {
  /**
   * The forms of time the contract accepts (zod's {@code z.iso.datetime({ offset: true })}): a
   * date, hours and minutes, optional seconds with an optional fraction of any length, then
   * {@code Z} or an offset {@code ±hh:mm}. ASCII digits only, {@code T} and {@code Z} in capitals.
   */
  private static final Pattern CONTRACT_FORM =
      Pattern.compile(
          "^(\\d{4})-(\\d{2})-(\\d{2})T(\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.(\\d+))?)?(?:Z|([+-])(\\d{2}):(\\d{2}))$");

  private static final DateTimeFormatter FORMAT =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private IsoTime() {}

  /** {@code new Date(ms).toISOString()} for the years the contract allows (1970–2100). */
  public static String format(long ms) {
    LocalDateTime time =
        LocalDateTime.ofEpochSecond(
            Math.floorDiv(ms, 1000), (int) Math.floorMod(ms, 1000) * 1_000_000, ZoneOffset.UTC);
    if (time.getYear() < 0 || time.getYear() > 9999) return FORMAT.format(Instant.ofEpochMilli(ms));
    // Every segment change and membership end carries times: written field by field, as
    // parse() reads them, since the general formatter cost a tenth of the customer's operator.
    char[] text = "0000-00-00T00:00:00.000Z".toCharArray();
    put(text, 0, 4, time.getYear());
    put(text, 5, 7, time.getMonthValue());
    put(text, 8, 10, time.getDayOfMonth());
    put(text, 11, 13, time.getHour());
    put(text, 14, 16, time.getMinute());
    put(text, 17, 19, time.getSecond());
    put(text, 20, 23, time.getNano() / 1_000_000);
    return new String(text);
  }

  private static void put(char[] text, int from, int to, int value) {
    for (int i = to - 1; i >= from; i--, value /= 10) text[i] = (char) ('0' + value % 10);
  }

  /**
   * Milliseconds since the epoch, as JavaScript's {@code Date.parse} reads the text, or null when
   * it is not a time of a form the contract accepts or not a real date and time (a 30 February, a
   * 24:00, a leap second).
   */
  public static Long parse(String text) {
    if (text == null) return null;
    // Every event carries two times in the form format() writes: read field by field, since the
    // general parser was a fifth of reading an event.
    if (text.length() == 24 && hasShapeOfFormat(text)) {
      try {
        LocalDateTime time =
            LocalDateTime.of(
                digits(text, 0, 4),
                digits(text, 5, 7),
                digits(text, 8, 10),
                digits(text, 11, 13),
                digits(text, 14, 16),
                digits(text, 17, 19),
                digits(text, 20, 23) * 1_000_000);
        return time.toEpochSecond(ZoneOffset.UTC) * 1000 + time.getNano() / 1_000_000;
      } catch (DateTimeException e) {
        return null;
      }
    }
    return parseAnyForm(text);
  }

  /** {@link #parse} without its fast path for the form {@link #format} writes. */
  public static Long parseAnyForm(String text) {
    Matcher form = CONTRACT_FORM.matcher(text);
    if (!form.matches()) return null;
    int offsetHours = form.group(8) == null ? 0 : Integer.parseInt(form.group(9));
    int offsetMinutes = form.group(8) == null ? 0 : Integer.parseInt(form.group(10));
    if (offsetHours > 23 || offsetMinutes > 59) return null;
    try {
      LocalDateTime time =
          LocalDateTime.of(
              Integer.parseInt(form.group(1)),
              Integer.parseInt(form.group(2)),
              Integer.parseInt(form.group(3)),
              Integer.parseInt(form.group(4)),
              Integer.parseInt(form.group(5)),
              form.group(6) == null ? 0 : Integer.parseInt(form.group(6)));
      // Milliseconds from the fraction's first three digits, the rest cut off (as Date.parse).
      String fraction = form.group(7) == null ? "" : form.group(7);
      int ms = Integer.parseInt((fraction + "000").substring(0, 3));
      long offsetMs = (offsetHours * 3_600_000L + offsetMinutes * 60_000L);
      if ("+".equals(form.group(8))) offsetMs = -offsetMs;
      return time.toEpochSecond(ZoneOffset.UTC) * 1000 + ms + offsetMs;
    } catch (DateTimeException e) {
      return null;
    }
  }

  /** `dddd-dd-ddTdd:dd:dd.dddZ` */
  private static boolean hasShapeOfFormat(String text) {
    for (int i = 0; i < 24; i++) {
      char c = text.charAt(i);
      boolean ok =
          switch (i) {
            case 4, 7 -> c == '-';
            case 10 -> c == 'T';
            case 13, 16 -> c == ':';
            case 19 -> c == '.';
            case 23 -> c == 'Z';
            default -> c >= '0' && c <= '9';
          };
      if (!ok) return false;
    }
    return true;
  }

  private static int digits(String text, int from, int to) {
    int n = 0;
    for (int i = from; i < to; i++) n = n * 10 + (text.charAt(i) - '0');
    return n;
  }
}
