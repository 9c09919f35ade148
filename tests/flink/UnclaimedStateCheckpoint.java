import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

/**
 * Leaves in the directory named by the first argument a completed checkpoint holding keyed state
 * of an operator the Kafka job does not have (uid {@code minute-rollups}, which the job ran before
 * commit d1a7ff1), then exits. Compiled with the job jar on the class path and run beside it
 * (tests/flink/job-upgrade.test.ts).
 */
public final class UnclaimedStateCheckpoint {
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    Configuration conf = new Configuration();
    conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, dir.toUri().toString());
    conf.set(
        CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
        ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    env.setParallelism(1);
    env.enableCheckpointing(200, CheckpointingMode.EXACTLY_ONCE);
    env.fromSequence(0, Long.MAX_VALUE)
        .map(
            n -> {
              Thread.sleep(1);
              return n;
            })
        .returns(Types.LONG)
        .keyBy(n -> n % 10)
        .map(new Counting())
        .uid("minute-rollups")
        .sinkTo(new DiscardingSink<>());
    Thread watcher =
        new Thread(
            () -> {
              while (!hasCompletedCheckpoint(dir)) {
                try {
                  Thread.sleep(100);
                } catch (InterruptedException e) {
                  return;
                }
              }
              System.out.println("{\"checkpointed\":true}");
              System.exit(0);
            });
    watcher.setDaemon(true);
    watcher.start();
    env.execute("unclaimed-state");
  }

  private static boolean hasCompletedCheckpoint(Path dir) {
    if (!Files.isDirectory(dir)) return false;
    try (Stream<Path> found = Files.find(dir, 3, (path, attrs) -> isMetadata(path))) {
      return found.findAny().isPresent();
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean isMetadata(Path path) {
    return path.getFileName().toString().equals("_metadata")
        && path.getParent().getFileName().toString().startsWith("chk-");
  }

  /** Counts each key's numbers in keyed state. */
  static final class Counting extends RichMapFunction<Long, Long> {
    private transient ValueState<Long> count;

    @Override
    public void open(OpenContext context) {
      count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Types.LONG));
    }

    @Override
    public Long map(Long n) throws Exception {
      long next = (count.value() == null ? 0 : count.value()) + 1;
      count.update(next);
      return next;
    }
  }
}
