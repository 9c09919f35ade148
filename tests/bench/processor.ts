import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setUpTopics } from '../../backend/src/kafka/topics';
import { BENCH_TOPICS } from './bench-topics';
import { createKafkaSink } from '../../backend/src/sinks/kafka-sink';
import type { ProcessorStatus } from '../../backend/src/processor/processor';
import { startBackend, type Backend } from '../../backend/src/start-backend';
import { startKafka } from '../services/kafka/broker';
import { startRedis } from '../services/redis';
import { asPulseEvents, BENCH_SEGMENTS, eventMix } from './event-mix';
import { printTable } from './table';

const CUSTOMER = 'cust_bench';
const EVENTS = 100_000;
const VISITORS = 10_000;

async function defineSegments(backend: Backend): Promise<void> {
  for (const segment of BENCH_SEGMENTS) await backend.store.putDefinition(CUSTOMER, segment);
}

/**
 * Processor throughput on this machine, Kafka → Redis + chdb: 100,000 events (10,000 visitors,
 * three segments) are in Kafka before the processor starts; the clock runs from its first
 * durable batch to the last. Then the embedded mode (LMDB + chdb, no Kafka) on the same events.
 */
export async function benchProcessor(): Promise<Record<string, unknown>> {
  const events = asPulseEvents(eventMix(EVENTS, VISITORS), CUSTOMER);
  const rows: Array<Array<string | number>> = [
    ['mode', 'events', 'seconds', 'events/s', 'batches'],
  ];
  const results: Record<string, unknown> = {};
  const steps: Array<[string, ProcessorStatus['spentMs']]> = [];

  const [broker, redis] = await Promise.all([startKafka(), startRedis()]);
  const dir = mkdtempSync(join(tmpdir(), 'pulse-bench-processor-'));
  try {
    await setUpTopics([broker.brokers], BENCH_TOPICS);
    const sink = createKafkaSink({ brokers: [broker.brokers] });
    for (let i = 0; i < events.length; i += 1000) {
      await sink.write({
        customer_id: CUSTOMER,
        events: events.slice(i, i + 1000),
        dead_letters: [],
      });
    }
    await sink.close();

    let processed = 0;
    let batches = 0;
    let first = 0;
    let last = 0;
    const backend = await startBackend({
      dataDir: join(dir, 'kafka'),
      port: 0,
      ingestSecret: 'bench',
      kafkaBrokers: [broker.brokers],
      redisUrl: redis.url,
      roles: { ingest: false },
      tickMs: 0,
      onBatch: (batch) => {
        first ||= Date.now();
        last = Date.now();
        processed += batch.events;
        batches += 1;
      },
    });
    await defineSegments(backend);
    const until = Date.now() + 300_000;
    while (processed < events.length && Date.now() < until)
      await new Promise((r) => setTimeout(r, 50));
    steps.push(['Kafka → Redis + chdb', backend.status().processor.spentMs]);
    await backend.stop();
    const kafkaSeconds = (last - first) / 1000;
    results.kafka = {
      events: processed,
      seconds: kafkaSeconds,
      eventsPerSecond: Math.round(processed / kafkaSeconds),
      batches,
    };
    rows.push([
      'Kafka → Redis + chdb',
      processed,
      kafkaSeconds.toFixed(1),
      Math.round(processed / kafkaSeconds),
      batches,
    ]);
  } finally {
    await Promise.all([broker.stop(), redis.stop()]);
  }

  // Embedded: what ingest hands the processor in-process, 5,000 events per batch.
  const backend = await startBackend({
    dataDir: join(dir, 'embedded'),
    port: 0,
    ingestSecret: 'bench',
    roles: { ingest: false },
    tickMs: 0,
  });
  try {
    await defineSegments(backend);
    const start = Date.now();
    let batches = 0;
    for (let i = 0; i < events.length; i += 5000) {
      await backend.processor.process(events.slice(i, i + 5000));
      batches += 1;
    }
    const seconds = (Date.now() - start) / 1000;
    steps.push(['embedded (LMDB + chdb)', backend.status().processor.spentMs]);
    results.embedded = {
      events: events.length,
      seconds,
      eventsPerSecond: Math.round(events.length / seconds),
      batches,
    };
    rows.push([
      'embedded (LMDB + chdb)',
      events.length,
      seconds.toFixed(1),
      Math.round(events.length / seconds),
      batches,
    ]);
  } finally {
    await backend.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  printTable(rows);
  // Where the processor's time went, by step (plan and the events' insert run together).
  const stepNames = ['plan', 'commit', 'write-out', 'publish', 'recover'] as const;
  printTable([
    ['mode', ...stepNames.map((step) => `${step} ms`)],
    ...steps.map(([mode, spent]) => [mode, ...stepNames.map((step) => spent[step])]),
  ]);
  results.stepsMs = Object.fromEntries(steps);
  console.log('goal: 20,000 events/s (issue 5)');
  return results;
}
