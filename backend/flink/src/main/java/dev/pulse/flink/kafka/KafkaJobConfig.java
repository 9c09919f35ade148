package dev.pulse.flink.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pulse.flink.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The Kafka job's configuration, from the environment or a runtime properties file ({@link
 * #fromProcess}).
 *
 * <ul>
 *   <li>{@code KAFKA_BROKERS} (required): {@code host:port,…}
 *   <li>{@code PULSE_FLINK_PARALLELISM}: parallelism of every operator; unset, a cluster's own
 *       setting (Managed Flink's parallelism and autoscaling, a deployment's) holds, and a local
 *       MiniCluster runs at 1. {@link #parallelism} is 0 then
 *   <li>{@code PULSE_FLINK_CHECKPOINT_MS} (default 5000): checkpoint interval; outputs become
 *       visible to read_committed readers when a checkpoint completes
 *   <li>{@code PULSE_SEGMENTS_FILE}: JSON {@code {customer_id: [segment definition]}}
 *   <li>{@code PULSE_TICK_MS} (default 1000, 0 for never): how often the wall clock ticks each
 *       customer with segments, as the TypeScript processor's {@code PULSE_TICK_MS}
 *   <li>{@code PULSE_FLINK_GROUP} (default {@code pulse-flink}): consumer group, and the prefix of
 *       the sinks' transactional ids
 *   <li>{@code PULSE_FLINK_CHECKPOINT_DIR}: where checkpoints are kept (a {@code file://} or
 *       {@code s3://} URI); unset keeps them in the JobManager's memory. A local directory is also where a new start
 *       resumes from: the newest completed checkpoint in it
 *   <li>{@code PULSE_FLINK_CLUSTER}: {@code host:port} of a Flink session cluster's REST endpoint;
 *       the job is submitted there (its classes must be on the cluster's class path) instead of
 *       running in a local MiniCluster, and the cluster restarts it after a failure
 *   <li>{@code PULSE_FLINK_UNTIL_LATEST=1}: read the topics up to their end offsets at start, then
 *       finish (a replay, or the benchmark), printing the job's run time
 *   <li>{@code PULSE_FLINK_ALLOW_NON_RESTORED_STATE=1}: resume from a checkpoint that holds state of
 *       operators this job no longer has (Flink's {@code
 *       execution.state-recovery.ignore-unclaimed-state}; Managed Flink: {@code
 *       AllowNonRestoredState}), dropping that state; without it such a start fails and names the
 *       operator. Needed once when upgrading from a checkpoint of a build whose Kafka job still ran
 *       the rollup operators (before commit d1a7ff1)
 * </ul>
 */
public record KafkaJobConfig(
    String brokers,
    int parallelism,
    Duration checkpointInterval,
    String segmentsFile,
    long tickMs,
    String group,
    String checkpointDir,
    String cluster,
    boolean untilLatest,
    boolean allowNonRestoredState) {

  /**
   * Where Amazon Managed Service for Apache Flink puts an application's runtime properties (it
   * passes no environment variables): {@code [{"PropertyGroupId", "PropertyMap": {…}}]}.
   */
  static final String MANAGED_FLINK_PROPERTIES = "/etc/flink/application_properties.json";

  /** The property group of that file this job reads; its keys are the variables above. */
  static final String PROPERTY_GROUP = "PulseJob";

  /**
   * The configuration of this process: its environment, over which the {@code PulseJob} group of
   * the runtime properties file ({@code PULSE_FLINK_PROPERTIES_FILE}, else Managed Flink's
   * {@value #MANAGED_FLINK_PROPERTIES}) wins when that file exists.
   */
  public static KafkaJobConfig fromProcess() throws IOException {
    Map<String, String> settings = new HashMap<>(System.getenv());
    Path file =
        Path.of(settings.getOrDefault("PULSE_FLINK_PROPERTIES_FILE", MANAGED_FLINK_PROPERTIES));
    if (Files.exists(file)) {
      for (JsonNode group : Json.MAPPER.readTree(file.toFile())) {
        if (!PROPERTY_GROUP.equals(group.path("PropertyGroupId").asText())) continue;
        group
            .path("PropertyMap")
            .fields()
            .forEachRemaining(entry -> settings.put(entry.getKey(), entry.getValue().asText()));
      }
    }
    return fromEnv(settings);
  }

  public static KafkaJobConfig fromEnv(Map<String, String> env) {
    String brokers = env.get("KAFKA_BROKERS");
    if (brokers == null || brokers.isBlank())
      throw new IllegalArgumentException("KAFKA_BROKERS must name at least one broker (host:port)");
    return new KafkaJobConfig(
        brokers,
        (int) positive(env, "PULSE_FLINK_PARALLELISM", 0, false),
        Duration.ofMillis(positive(env, "PULSE_FLINK_CHECKPOINT_MS", 5000, false)),
        env.get("PULSE_SEGMENTS_FILE"),
        positive(env, "PULSE_TICK_MS", 1000, true),
        env.getOrDefault("PULSE_FLINK_GROUP", "pulse-flink"),
        env.get("PULSE_FLINK_CHECKPOINT_DIR"),
        env.get("PULSE_FLINK_CLUSTER"),
        "1".equals(env.get("PULSE_FLINK_UNTIL_LATEST")),
        "1".equals(env.get("PULSE_FLINK_ALLOW_NON_RESTORED_STATE")));
  }

  /**
   * The bootstrap servers without their {@code ssl://} prefixes (Amazon MSK's TLS listener, as
   * backend/src/kafka/brokers.ts reads KAFKA_BROKERS).
   */
  public String bootstrapServers() {
    return brokers.replace("ssl://", "");
  }

  /** Whether the brokers are TLS listeners ({@code ssl://host:port}); a mix is refused. */
  public boolean tls() {
    String[] addresses = brokers.split(",");
    long secure = Arrays.stream(addresses).filter(a -> a.trim().startsWith("ssl://")).count();
    if (secure != 0 && secure != addresses.length)
      throw new IllegalArgumentException(
          "KAFKA_BROKERS mixes ssl:// and plaintext addresses; use one kind");
    return secure > 0;
  }

  private static long positive(Map<String, String> env, String name, long fallback, boolean zero) {
    String text = env.get(name);
    if (text == null || text.isBlank()) return fallback;
    try {
      long value = Long.parseLong(text.trim());
      if (value > 0 || (zero && value == 0)) return value;
    } catch (NumberFormatException ignored) {
      // Refused below with the variable's name.
    }
    throw new IllegalArgumentException(
        name + " must be a " + (zero ? "non-negative" : "positive") + " whole number, not " + text);
  }
}
