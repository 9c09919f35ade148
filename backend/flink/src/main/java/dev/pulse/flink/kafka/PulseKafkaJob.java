package dev.pulse.flink.kafka;

import dev.pulse.flink.Json;
import dev.pulse.flink.PulseTopology;
import dev.pulse.flink.engine.DefinitionAck;
import dev.pulse.flink.engine.IdentityLink;
import dev.pulse.flink.engine.MemberEnd;
import dev.pulse.flink.engine.SegmentChange;
import dev.pulse.flink.engine.StreamItem;
import dev.pulse.flink.segments.SegmentDefinition;
import dev.pulse.flink.segments.SegmentDefinitions;
import java.io.File;
import java.net.URL;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.DeploymentOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * The processing job on Kafka: reads `pulse.events.*`, writes segment changes to `pulse.segments`
 * (key {@code customer_id:id}) and identity links to `pulse.identity` (key
 * {@code customer_id:source_id}), membership ends to `pulse.memberships` (key
 * {@code customer_id:id}, like the changes, so a profile's records keep their order), records
 * that are not events to `pulse.dlq`. It also reads `pulse.deletions`, the profiles the profile API
 * deleted, and forgets them. Exactly once:
 * every sink writes in Kafka transactions committed when a checkpoint completes, so readers with
 * {@code isolation.level=read_committed} see each output once, also after a restart from a
 * checkpoint (backend/flink/README.md). Run with {@code java -jar pulse-flink.jar} (a local
 * MiniCluster) or submit the jar to a Flink cluster; configuration in {@link KafkaJobConfig}.
 */
public final class PulseKafkaJob {
  public static final List<String> EVENT_TOPICS =
      List.of(
          "pulse.events.page_view",
          "pulse.events.click",
          "pulse.events.custom",
          "pulse.events.identify",
          "pulse.events.alias");
  public static final String SEGMENTS_TOPIC = "pulse.segments";
  public static final String IDENTITY_TOPIC = "pulse.identity";
  public static final String MEMBERSHIPS_TOPIC = "pulse.memberships";
  public static final String DLQ_TOPIC = "pulse.dlq";
  /** Profiles deleted through the profile API, for the operator to forget. */
  public static final String DELETIONS_TOPIC = "pulse.deletions";
  /** Segments defined, redefined or deleted through the segment API ({@link ReadDefinitions}). */
  public static final String DEFINITIONS_TOPIC = "pulse.definitions";
  /** What the job did with them ({@link DefinitionAck}), for the segment API waiting on it. */
  public static final String DEFINITIONS_APPLIED_TOPIC = "pulse.definitions.applied";

  private PulseKafkaJob() {}

  public static void main(String[] args) throws Exception {
    KafkaJobConfig config = KafkaJobConfig.fromProcess();
    if (config.cluster() != null) {
      // Submitted to the session cluster, which runs it from here on; this process exits.
      JobClient job = build(config).executeAsync("pulse processing (Kafka)");
      System.out.println("{\"job_id\":\"" + job.getJobID() + "\"}");
      return;
    }
    JobExecutionResult result = build(config).execute("pulse processing (Kafka)");
    if (config.untilLatest())
      System.out.println("{\"finished\":true,\"net_runtime_ms\":" + result.getNetRuntime() + "}");
  }

  /** The job, ready to execute. */
  public static StreamExecutionEnvironment build(KafkaJobConfig config) throws Exception {
    Configuration flink = new Configuration();
    flink.set(PipelineOptions.OBJECT_REUSE, PulseTopology.OBJECT_REUSE);
    if (config.cluster() != null) {
      // A session cluster (a JobManager and TaskManagers in JVMs of their own): it keeps the job
      // running and restarts it from its last checkpoint when a TaskManager is lost.
      int colon = config.cluster().lastIndexOf(':');
      flink.set(DeploymentOptions.TARGET, "remote");
      flink.set(RestOptions.ADDRESS, config.cluster().substring(0, colon));
      flink.set(RestOptions.PORT, Integer.parseInt(config.cluster().substring(colon + 1)));
      // The jar this class came from goes with the job: built with -Pcluster-jar it holds the
      // connector and every other class the cluster's Flink does not provide.
      URL jar = PulseKafkaJob.class.getProtectionDomain().getCodeSource().getLocation();
      if (jar.getPath().endsWith(".jar")) flink.set(PipelineOptions.JARS, List.of(jar.toString()));
    }
    if (config.checkpointDir() != null) {
      flink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, config.checkpointDir());
      // Kept when the job stops or its process dies, so the next start resumes from it.
      flink.set(
          CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
          ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
      // A MiniCluster dies with its process: a new start resumes from the newest checkpoint.
      Optional<String> latest =
          config.cluster() == null ? LatestCheckpoint.in(config.checkpointDir()) : Optional.empty();
      latest.ifPresent(path -> flink.set(StateRecoveryOptions.SAVEPOINT_PATH, path));
      if (config.allowNonRestoredState())
        flink.set(StateRecoveryOptions.SAVEPOINT_IGNORE_UNCLAIMED_STATE, true);
      System.out.println(
          "{\"resuming_from\":" + latest.map(path -> '"' + path + '"').orElse("null") + "}");
    }
    // getExecutionEnvironment would start a local MiniCluster whatever the target says.
    StreamExecutionEnvironment env =
        config.cluster() != null
            ? new StreamExecutionEnvironment(flink)
            : StreamExecutionEnvironment.getExecutionEnvironment(flink);
    if (config.parallelism() > 0) env.setParallelism(config.parallelism());
    else if (env instanceof LocalStreamEnvironment) env.setParallelism(1);
    env.enableCheckpointing(config.checkpointInterval().toMillis(), CheckpointingMode.EXACTLY_ONCE);

    // One source for the events and the deletions: a deletion reaches its customer's operator
    // through the same chain as the events. A second source and a union made every event cross
    // a network buffer and every checkpoint wait for a barrier alignment (measured slower).
    List<String> topics = new ArrayList<>(EVENT_TOPICS);
    topics.add(DELETIONS_TOPIC);
    Map<String, List<SegmentDefinition>> segments = segments(config);
    // Segment definitions from the API reach every reader (broadcast state), which meets the
    // events with them. A fresh job starts at the topic's end: the segments file holds what the
    // state store has then.
    BroadcastStream<EventRecord> definitions =
        env.fromSource(
                source(config, List.of(DEFINITIONS_TOPIC), OffsetResetStrategy.LATEST),
                WatermarkStrategy.noWatermarks(),
                DEFINITIONS_TOPIC)
            .uid("definitions-source")
            .broadcast(ReadEvents.RULES);
    SingleOutputStreamOperator<StreamItem> items =
        env.fromSource(
                source(config, topics, OffsetResetStrategy.EARLIEST),
                WatermarkStrategy.noWatermarks(),
                "pulse.events.*")
            .uid("events-source")
            .connect(definitions)
            .process(new ReadEvents(segments))
            .name("read events and deletions (bad records to pulse.dlq)")
            .uid("read-events");

    PulseTopology.SegmentOutputs outputs =
        PulseTopology.segments(items, segments, config.tickMs());
    // The outputs are written by sinks of their own, keyed by the record key: their JSON and the
    // Kafka producer's work leave the customer's operator (one slot for a customer, however
    // large) for every slot, and each key's records keep their order through one sink instance.
    writeKeyed(
        outputs.changes(),
        config,
        "segments",
        new JsonRecords<SegmentChange>(
            SEGMENTS_TOPIC, c -> c.customerId() + ":" + c.id(), c -> Map.of()),
        "segments-sink");
    writeKeyed(
        outputs.links(),
        config,
        "identity",
        new JsonRecords<IdentityLink>(
            IDENTITY_TOPIC, l -> l.customerId() + ":" + l.sourceId(), l -> Map.of()),
        "identity-sink");
    writeKeyed(
        outputs.memberEnds(),
        config,
        "memberships",
        new JsonRecords<MemberEnd>(
            MEMBERSHIPS_TOPIC, m -> m.customerId() + ":" + m.id(), m -> Map.of()),
        "memberships-sink");
    writeKeyed(
        outputs.definitionAcks(),
        config,
        "definitions-applied",
        new JsonRecords<DefinitionAck>(
            DEFINITIONS_APPLIED_TOPIC, DefinitionAck::customerId, a -> Map.of()),
        "definitions-applied-sink");
    DataStream<DeadLetter> letters = items.getSideOutput(ReadEvents.DEAD_LETTERS);
    letters
        .sinkTo(
            sink(
                config,
                "dlq",
                new JsonRecords<DeadLetter>(
                    DLQ_TOPIC,
                    DeadLetter::customerId,
                    d -> Map.of("customer_id", d.customerId(), "code", d.code()))))
        .name(DLQ_TOPIC)
        .uid("dlq-sink");
    return env;
  }

  /** Raw records of {@code topics}, from the group's committed offsets ({@code first} at first). */
  private static KafkaSource<EventRecord> source(
      KafkaJobConfig config, List<String> topics, OffsetResetStrategy first) {
    KafkaSourceBuilder<EventRecord> builder =
        KafkaSource.<EventRecord>builder()
            .setBootstrapServers(config.bootstrapServers())
            .setTopics(topics)
            .setGroupId(config.group())
            .setStartingOffsets(OffsetsInitializer.committedOffsets(first))
            .setDeserializer(new EventRecordDeserializer());
    if (config.tls()) builder.setProperty("security.protocol", "SSL");
    if (config.untilLatest()) builder.setBounded(OffsetsInitializer.latest());
    return builder.build();
  }

  private static Map<String, List<SegmentDefinition>> segments(KafkaJobConfig config)
      throws Exception {
    if (config.segmentsFile() == null) return Map.of();
    return SegmentDefinitions.read(Json.MAPPER.readTree(new File(config.segmentsFile())));
  }

  /** A transactional sink: its writes commit with the checkpoint that covers them. */
  /** Writes {@code stream} to its topic through a sink keyed by each record's Kafka key. */
  private static <T> void writeKeyed(
      DataStream<T> stream, KafkaJobConfig config, String name, JsonRecords<T> records, String uid) {
    stream
        .keyBy(records::keyOf, Types.STRING)
        .sinkTo(sink(config, name, records))
        .name(records.topic())
        .uid(uid);
  }

  private static <T> KafkaSink<T> sink(
      KafkaJobConfig config, String name, JsonRecords<T> records) {
    Properties producer = new Properties();
    // Longer than a checkpoint can take, shorter than the broker's transaction.max.timeout.ms.
    producer.setProperty("transaction.timeout.ms", "600000");
    producer.setProperty("acks", "all");
    producer.setProperty("enable.idempotence", "true");
    if (config.tls()) producer.setProperty("security.protocol", "SSL");
    return KafkaSink.<T>builder()
        .setBootstrapServers(config.bootstrapServers())
        .setRecordSerializer(records)
        .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
        .setTransactionalIdPrefix(config.group() + "-" + name)
        .setKafkaProducerConfig(producer)
        .build();
  }
}
