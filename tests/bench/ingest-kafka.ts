import { signBody, SIGNATURE_HEADER } from '@pulse/contract';
import { setUpTopics } from '../../backend/src/kafka/topics';
import { createKafkaSink } from '../../backend/src/sinks/kafka-sink';
import { startIngest } from '../../backend/src/ingest/ingest-server';
import { sinkBatch } from '../../backend/test/kafka-fixtures';
import { startKafka } from '../services/kafka/broker';
import { load } from './edge-load';
import { printTable } from './table';

const SECRET = 'bench-secret';
const BATCH = 500;
const CONCURRENCY = 8;
const SECONDS = 10;

/**
 * Backend ingest → a real Kafka broker with acks=all (idempotent producer), on this machine:
 * events/s and request latency, with and without gzip compression. The load generator runs in
 * the same process, sending pre-built signed batches of 500 events (~550 bytes each).
 */
export async function benchIngestKafka(): Promise<Record<string, unknown>> {
  const broker = await startKafka();
  const results: Record<string, unknown> = {};
  try {
    await setUpTopics([broker.brokers], {
      partitions: 6,
      replicationFactor: 1,
      minInsyncReplicas: 1,
      retentionMs: 3600_000,
    });
    const bodies = Array.from({ length: 64 }, (_, i) => {
      const batch = sinkBatch(`cust_${i % 4}`, BATCH);
      batch.events.forEach((e, j) => (e.visitor_id = `v-${i}-${j % 50}`));
      return JSON.stringify(batch);
    });
    const rows: Array<Array<string | number>> = [
      ['compression', 'events/s', 'requests', 'p50 ms', 'p99 ms', 'failed requests'],
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
      rows.push([
        compression,
        eventsPerSecond,
        r.requests,
        r.p50.toFixed(1),
        r.p99.toFixed(1),
        r.failed,
      ]);
      results[compression] = { ...r, eventsPerSecond };
      await ingest.close();
      await sink.close();
    }
    printTable(rows);
    console.log(
      `(${CONCURRENCY} concurrent clients, ${BATCH}-event signed batches, ${SECONDS} s each, acks=all, idempotent producer; goal 50,000 events/s)`,
    );
    return results;
  } finally {
    await broker.stop();
  }
}
