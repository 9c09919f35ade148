package dev.pulse.flink.kafka;

import dev.pulse.flink.Json;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes values as JSON records of one topic, with the key (and headers) the TypeScript side
 * gives the same records (backend/src/processor/kafka-publisher.ts, backend/src/sinks/kafka-sink.ts).
 */
final class JsonRecords<T> implements KafkaRecordSerializationSchema<T> {
  private final String topic;
  private final SerializableFunction<T, String> key;
  private final SerializableFunction<T, Map<String, String>> headers;

  JsonRecords(
      String topic,
      SerializableFunction<T, String> key,
      SerializableFunction<T, Map<String, String>> headers) {
    this.topic = topic;
    this.key = key;
    this.headers = headers;
  }

  String topic() {
    return topic;
  }

  /** The record key of {@code value}. */
  String keyOf(T value) {
    return key.apply(value);
  }

  @Override
  public ProducerRecord<byte[], byte[]> serialize(T value, KafkaSinkContext context, Long timestamp) {
    ProducerRecord<byte[], byte[]> record =
        new ProducerRecord<>(
            topic, bytes(key.apply(value)), bytes(Json.write(value)));
    headers.apply(value).forEach((name, text) -> record.headers().add(name, bytes(text)));
    return record;
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
