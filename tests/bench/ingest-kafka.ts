import { signBody, SIGNATURE_HEADER } from '@pulse/contract';
import { setUpTopics } from '../../backend/src/kafka/topics';
import { BENCH_TOPICS } from './bench-topics';
import { createKafkaSink } from '../../backend/src/sinks/kafka-sink';
import { startIngest } from '../../backend/src/ingest/ingest-server';
import { sinkBatch } from '../../backend/test/kafka-fixtures';
import { startKafka } from '../services/kafka/broker';
import { load } from './edge-load';
import { measureProducerLimit } from './kafka-producer-limit';
import { printTable } from './table';

const SECRET = 'bench-secret';
const BATCH = 500;
const CONCURRENCY = 8;
const SECONDS = 10;

/**
 * Backend ingest → a real Kafka broker with acks=all (idempotent producer), on this machine:
 * events/s and request latency, with and without gzip compression, each beside what Kafka's
 * own producer (ProducerPerformance) reaches on the same broker in the same run with records
 * of the same size. The load generator runs in the same process, sending pre-built signed
 * batches of 500 events.
 */
export async function benchIngestKafka(): Promise<Record<string, unknown>> {
  const broker = await startKafka();
  const results: Record<string, unknown> = {};
  try {
    await setUpTopics([broker.brokers], BENCH_TOPICS);
    const bodies = Array.from({ length: 64 }, (_, i) => {
      const batch = sinkBatch(`cust_${i % 4}`, BATCH);
      batch.events.forEach((e, j) => (e.visitor_id = `v-${i}-${j % 50}`));
      return JSON.stringify(batch);
    });
    // One record per event, as the Kafka sink writes it: the limit uses records of that size.
    const events = bodies.flatMap((b) => (JSON.parse(b) as { events: unknown[] }).events);
    const recordBytes = Math.round(
      events.reduce<number>((sum, e) => sum + Buffer.byteLength(JSON.stringify(e)), 0) /
        events.length,
    );
    const rows: Array<Array<string | number>> = [
      [
        'compression',
        'events/s',
        'Kafka limit/s',
        'of limit',
        'requests',
        'p50 ms',
        'p99 ms',
        'failed requests',
      ],
    ];
    for (const compression of ['none', 'gzip'] as const) {
      const sink = createKafkaSink({ brokers: [broker.brokers], compression });
      const ingest = await startIngest({ port: 0, secret: SECRET, sink });
      const headers = await Promise.all(
        bodies.map(async (b) => ({ [SIGNATURE_HEADER]: await signBody(SECRET, b) })),
      );
      const r = await load(
        `${ingest.url}/internal/ingest`,
        bodies,
        BATCH,
        SECONDS,
        CONCURRENCY,
        headers,
      );
      const eventsPerSecond = Math.round(r.eventsPerSecond);
      await ingest.close();
      await sink.close();
      const limit = await measureProducerLimit(broker.brokers, {
        records: 300_000,
        recordBytes,
        partitions: 6,
        compression,
      });
      const ofLimit = eventsPerSecond / limit.recordsPerSecond;
      rows.push([
        compression,
        eventsPerSecond,
        limit.recordsPerSecond,
        `${Math.round(ofLimit * 100)}%`,
        r.requests,
        r.p50.toFixed(1),
        r.p99.toFixed(1),
        r.failed,
      ]);
      results[compression] = { ...r, eventsPerSecond, kafkaLimit: limit, ofLimit };
    }
    printTable(rows);
    console.log(
      `(${CONCURRENCY} concurrent clients, ${BATCH}-event signed batches, ${SECONDS} s each, acks=all, idempotent producer; ` +
        `Kafka limit: ProducerPerformance, ${recordBytes}-byte records, acks=all, idempotence; goal 50,000 events/s and ≥ 50% of the limit)`,
    );
    return results;
  } finally {
    await broker.stop();
  }
}
