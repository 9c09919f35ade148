import dev.pulse.flink.event.EventReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * For each line of the file named by the first argument (a record's text), prints "ok" when the
 * job reads it as an event and otherwise the reason it refuses it. Run in Java's source-file mode
 * with the job jar on the class path (tests/flink/event-contract.test.ts).
 */
public final class EventContractCheck {
  public static void main(String[] args) throws Exception {
    StringBuilder out = new StringBuilder();
    for (String line : Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8)) {
      EventReader.Read read = EventReader.read(line, Map.of());
      out.append(read.error() == null ? "ok" : read.error().replace('\n', ' ')).append('\n');
    }
    System.out.print(out);
  }
}
