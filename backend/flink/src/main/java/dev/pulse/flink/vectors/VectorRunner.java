package dev.pulse.flink.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pulse.flink.Json;
import dev.pulse.flink.PulseTopology;
import dev.pulse.flink.engine.StreamItem;
import dev.pulse.flink.event.EventReader;
import dev.pulse.flink.event.IsoTime;
import dev.pulse.flink.segments.SegmentDefinition;
import dev.pulse.flink.segments.SegmentDefinitions;
import java.io.File;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;

/**
 * Runs a stream of processing-vector steps through the Flink job in a local MiniCluster and prints
 * what the job emitted, as JSON ({@link VectorResults}). Used by tests/flink/vectors.test.ts, which
 * writes every vector (customers namespaced per vector) into one input file, so all run in one job.
 *
 * <pre>
 * java -cp pulse-flink.jar dev.pulse.flink.vectors.VectorRunner INPUT.json PARALLELISM
 * INPUT: { "segments": { customer: [definition] },
 *          "items": [ { "event": PulseEvent } | { "tick": ISO time, "customer_id": c } ] }
 * </pre>
 */
public final class VectorRunner {
  private VectorRunner() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: VectorRunner INPUT.json PARALLELISM");
      System.exit(2);
    }
    JsonNode input = Json.MAPPER.readTree(new File(args[0]));
    int parallelism = Integer.parseInt(args[1]);
    Map<String, List<SegmentDefinition>> segments =
        SegmentDefinitions.read(input.path("segments"));
    List<StreamItem> items = new ArrayList<>();
    for (JsonNode item : input.path("items")) items.add(toItem(item, segments));

    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(parallelism);
    if (PulseTopology.OBJECT_REUSE) env.getConfig().enableObjectReuse();
    // One source instance reads the steps in order; keyBy keeps each customer's order from there.
    DataStream<StreamItem> stream =
        env.fromData(items, TypeInformation.of(StreamItem.class)).setParallelism(1);
    PulseTopology.SegmentOutputs outputs = PulseTopology.segments(stream, segments, 0);
    PulseTopology.RollupOutputs rollups = PulseTopology.rollups(stream, Duration.ofDays(7));

    VectorResults results = new VectorResults(segments);
    DataStream<String> tagged =
        outputs
            .changes()
            .map(change -> "change\t" + Json.write(change))
            .union(
                outputs.links().map(link -> "link\t" + Json.write(link)),
                outputs.memberEnds().map(end -> "member\t" + Json.write(end)),
                rollups.firstSeen().map(event -> "event\t" + event.customerId()),
                rollups.rollups().map(rollup -> "rollup\t" + Json.write(rollup)));
    try (CloseableIterator<String> collected = tagged.executeAndCollect("pulse vectors")) {
      while (collected.hasNext()) results.add(collected.next());
    }
    System.out.println(Json.write(results.toJson()));
  }

  private static StreamItem toItem(JsonNode item, Map<String, List<SegmentDefinition>> segments) {
    if (item.has("tick")) {
      Long at = IsoTime.parse(item.get("tick").asText());
      if (at == null) throw new IllegalArgumentException("bad tick " + item);
      return StreamItem.tick(item.path("customer_id").asText(), at);
    }
    EventReader.Read read = EventReader.fromNode((ObjectNode) item.get("event"), segments);
    if (read.error() != null) throw new IllegalArgumentException(read.error() + ": " + item);
    return StreamItem.of(read.event());
  }
}
