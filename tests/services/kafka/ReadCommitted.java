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
 *
 * <p>With {@code --ends} first it prints each partition's last stable offset and high watermark,
 * one JSON line each ({"topic","partition","stable","high"}).
 *
 * <p>With {@code --aborted TOPIC FROM TO} (a topic of one partition) it waits up to a minute for
 * the last stable offset to reach TO, so that every transaction with records below TO has ended,
 * then prints how many records in [FROM, TO) belong to aborted transactions: those read with
 * read_uncommitted less those read with read_committed. It exits 2 if the offset never gets there.
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
    if (topics.get(0).equals("--ends")) {
      printEnds(props, topics.subList(1, topics.size()));
      return;
    }
    if (topics.get(0).equals("--aborted")) {
      long from = Long.parseLong(topics.get(2));
      long to = Long.parseLong(topics.get(3));
      TopicPartition partition = new TopicPartition(topics.get(1), 0);
      if (!awaitStable(props, partition, to, Duration.ofMinutes(1))) {
        System.err.println(
            "the last stable offset of " + partition + " did not reach " + to + " in a minute");
        System.exit(2);
      }
      System.out.println(
          count(uncommitted(props), partition, from, to) - count(props, partition, from, to));
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

  private static Properties uncommitted(Properties props) {
    Properties uncommitted = new Properties();
    uncommitted.putAll(props);
    uncommitted.put("isolation.level", "read_uncommitted");
    return uncommitted;
  }

  private static void printEnds(Properties props, List<String> topics) {
    try (KafkaConsumer<String, String> stable = new KafkaConsumer<>(props);
        KafkaConsumer<String, String> high = new KafkaConsumer<>(uncommitted(props))) {
      for (String topic : topics) {
        for (var info : stable.partitionsFor(topic)) {
          TopicPartition p = new TopicPartition(topic, info.partition());
          System.out.println(
              "{\"topic\":" + quote(topic) + ",\"partition\":" + p.partition()
                  + ",\"stable\":" + stable.endOffsets(List.of(p)).get(p)
                  + ",\"high\":" + high.endOffsets(List.of(p)).get(p) + "}");
        }
      }
    }
  }

  private static boolean awaitStable(
      Properties props, TopicPartition partition, long offset, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (KafkaConsumer<String, String> stable = new KafkaConsumer<>(props)) {
      while (stable.endOffsets(List.of(partition)).get(partition) < offset) {
        if (System.nanoTime() > deadline) return false;
        Thread.sleep(50);
      }
      return true;
    }
  }

  /** The records in [from, to) of one partition that a consumer with these properties reads. */
  private static long count(Properties props, TopicPartition partition, long from, long to) {
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
      consumer.assign(List.of(partition));
      consumer.seek(partition, from);
      long records = 0;
      while (consumer.position(partition) < to) {
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
          if (record.offset() < to) records++;
        }
      }
      return records;
    }
  }

  private static long awaitInFlight(Properties props, List<String> topics)
      throws InterruptedException {
    try (KafkaConsumer<String, String> stable = new KafkaConsumer<>(props);
        KafkaConsumer<String, String> high = new KafkaConsumer<>(uncommitted(props))) {
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
