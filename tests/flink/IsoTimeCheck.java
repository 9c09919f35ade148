import dev.pulse.flink.event.IsoTime;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * For each line of the file named by the first argument, prints what {@code IsoTime.parse} reads,
 * what its reader of every form the contract accepts reads without the fast path ("null" for a
 * refusal) and what {@code IsoTime.format} writes for the time read ("null" for none),
 * tab-separated. Run in Java's source-file mode with the job jar on the class path
 * (tests/flink/iso-time.test.ts).
 */
public final class IsoTimeCheck {
  public static void main(String[] args) throws Exception {
    StringBuilder out = new StringBuilder();
    for (String line : Files.readAllLines(Path.of(args[0]))) {
      Long read = IsoTime.parse(line);
      out.append(read).append('\t').append(IsoTime.parseAnyForm(line)).append('\t');
      out.append(read == null ? null : IsoTime.format(read)).append('\n');
    }
    System.out.print(out);
  }
}
