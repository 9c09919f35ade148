import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Prints every committed record of some topics, one JSON line each ({"topic","key","value"}),
 * read by Kafka's own consumer with isolation.level=read_committed up to the last stable offset,
 * then exits. The tests use it where transactions are aborted: kafkajs 2.2.4 was seen to deliver
 * records of an aborted transaction to a read_committed consumer.
 *
 * <p>java -cp 'backend/flink/target/lib/*' tests/services/kafka/ReadCommitted.java BROKERS TOPIC…
 *
 * <p>With {@code --await-in-flight} first among the topics it waits instead (polling every 10 ms)
 * until some offsets of those topics lie in an open transaction (high watermark above the last
 * stable offset: a transactional writer has written records it has not committed yet), prints
 * how many, and exits. It prints {@code watching} once it is polling, so that a caller can start
 * the writes it watches for only then.
 */
public class ReadCommitted {
  public static void main(String[] args) throws InterruptedException {
    Properties props = new Properties();
    props.put("bootstrap.servers", args[0]);
    props.put("isolation.level", "read_committed");
    props.put("enable.auto.commit", "false");
    props.put("key.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
    props.put("value.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
    List<String> topics = List.of(args).subList(1, args.length);
    if (topics.get(0).equals("--await-in-flight")) {
      System.out.println(awaitInFlight(props, topics.subList(1, topics.size())));
      return;
    }
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
      Set<TopicPartition> partitions =
          topics.stream()
              .flatMap(t -> consumer.partitionsFor(t).stream())
              .map(p -> new TopicPartition(p.topic(), p.partition()))
              .collect(Collectors.toSet());
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      // With read_committed, the end offsets are the last stable offsets.
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
          System.out.println(
              "{\"topic\":" + quote(record.topic()) + ",\"key\":" + quote(record.key())
                  + ",\"value\":" + record.value() + "}");
        }
      }
    }
  }

  private static long awaitInFlight(Properties props, List<String> topics)
      throws InterruptedException {
    Properties uncommitted = new Properties();
    uncommitted.putAll(props);
    uncommitted.put("isolation.level", "read_uncommitted");
    try (KafkaConsumer<String, String> stable = new KafkaConsumer<>(props);
        KafkaConsumer<String, String> high = new KafkaConsumer<>(uncommitted)) {
      Set<TopicPartition> partitions =
          topics.stream()
              .flatMap(t -> stable.partitionsFor(t).stream())
              .map(p -> new TopicPartition(p.topic(), p.partition()))
              .collect(Collectors.toSet());
      stable.endOffsets(partitions);
      high.endOffsets(partitions);
      System.out.println("watching");
      System.out.flush();
      while (true) {
        Map<TopicPartition, Long> last = stable.endOffsets(partitions);
        Map<TopicPartition, Long> written = high.endOffsets(partitions);
        long open = partitions.stream().mapToLong(p -> written.get(p) - last.get(p)).sum();
        if (open > 0) return open;
        Thread.sleep(10);
      }
    }
  }

  private static String quote(String text) {
    return text == null ? "null" : "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
