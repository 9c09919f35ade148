import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaClasspath } from '../services/kafka/broker';

const run = promisify(execFile);

/** What Kafka's own producer reached on the broker: the limit ingest is held against. */
export interface ProducerLimit {
  records: number;
  recordBytes: number;
  recordsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * Runs Kafka's `ProducerPerformance` (the kafka-tools jar, the broker's version) against
 * `brokers` with `records` records of `recordBytes` bytes, acks=all and idempotence, like
 * Pulse's Kafka sink, into a topic with `partitions` partitions.
 */
export async function measureProducerLimit(
  brokers: string,
  options: { records: number; recordBytes: number; partitions: number; compression: string },
): Promise<ProducerLimit> {
  const topic = `bench.producer-limit.${options.compression}`;
  const admin = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: options.partitions, replicationFactor: 1 }],
    });
  } finally {
    await admin.disconnect();
  }
  const cp = await kafkaClasspath();
  const { stdout } = await run(
    'java',
    [
      '-Xmx512m',
      '-cp',
      cp,
      'org.apache.kafka.tools.ProducerPerformance',
      '--topic',
      topic,
      '--num-records',
      String(options.records),
      '--record-size',
      String(options.recordBytes),
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=${brokers}`,
      'acks=all',
      'enable.idempotence=true',
      `compression.type=${options.compression}`,
    ],
    { maxBuffer: 16 * 1024 * 1024, timeout: 300_000 },
  );
  // The last line sums the run: "N records sent, R records/sec (… MB/sec), … ms 50th, … ms 99th, …".
  const summary = stdout.trim().split('\n').at(-1) ?? '';
  const sent = /(\d+) records sent, ([\d.]+) records\/sec/.exec(summary);
  const p50 = /(\d+) ms 50th/.exec(summary);
  const p99 = /(\d+) ms 99th/.exec(summary);
  if (!sent || !p50 || !p99) throw new Error(`ProducerPerformance said: ${summary}`);
  return {
    records: Number(sent[1]),
    recordBytes: options.recordBytes,
    recordsPerSecond: Math.round(Number(sent[2])),
    p50Ms: Number(p50[1]),
    p99Ms: Number(p99[1]),
  };
}
