import { signBody, SIGNATURE_HEADER } from '@pulse/contract';
import { setUpTopics } from '../../backend/src/kafka/topics';
import { createKafkaSink } from '../../backend/src/sinks/kafka-sink';
import { startIngest } from '../../backend/src/ingest/ingest-server';
import { sinkBatch } from '../../backend/test/kafka-fixtures';
import { startKafka } from '../services/kafka/broker';
import { percentile, printTable } from './table';

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
      const latencies: number[] = [];
      let events = 0;
      let failed = 0;
      const until = Date.now() + SECONDS * 1000;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async (_, worker) => {
          for (let i = worker; Date.now() < until; i += CONCURRENCY) {
            const n = i % bodies.length;
            const start = performance.now();
            const res = await fetch(`${ingest.url}/internal/ingest`, {
              method: 'POST',
              body: bodies[n],
              headers: headers[n],
            });
            await res.arrayBuffer();
            latencies.push(performance.now() - start);
            if (res.status === 200) events += BATCH;
            else failed++;
          }
        }),
      );
      const seconds = (performance.now() - t0) / 1000;
      const eventsPerSecond = Math.round(events / seconds);
      rows.push([
        compression,
        eventsPerSecond,
        latencies.length,
        percentile(latencies, 50).toFixed(1),
        percentile(latencies, 99).toFixed(1),
        failed,
      ]);
      results[compression] = {
        eventsPerSecond,
        requests: latencies.length,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        failed,
      };
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
