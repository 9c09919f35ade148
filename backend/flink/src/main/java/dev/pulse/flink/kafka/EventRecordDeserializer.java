package dev.pulse.flink.kafka;

import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Keeps every record as text with its coordinates; parsing happens in {@link ReadEvents}. */
final class EventRecordDeserializer implements KafkaRecordDeserializationSchema<EventRecord> {
  @Override
  public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<EventRecord> out) {
    out.collect(
        new EventRecord(
            record.topic(),
            record.partition(),
            record.offset(),
            record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8),
            record.value() == null ? "" : new String(record.value(), StandardCharsets.UTF_8)));
  }

  @Override
  public TypeInformation<EventRecord> getProducedType() {
    return TypeInformation.of(EventRecord.class);
  }
}
