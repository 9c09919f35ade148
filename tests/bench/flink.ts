import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { PulseEvent } from '@pulse/contract';
import { setUpTopics, TOPICS } from '../../backend/src/kafka/topics';
import { startBackend } from '../../backend/src/start-backend';
import { BENCH_TOPICS } from './bench-topics';
import { createKafkaSink } from '../../backend/src/sinks/kafka-sink';
import { runFlinkMain, startFlinkMain } from '../services/flink-job';
import { startKafka, type KafkaBroker } from '../services/kafka/broker';
import { startRedis } from '../services/redis';
import { asPulseEvents, BENCH_SEGMENTS, eventMix } from './event-mix';
import { benchProcessor } from './processor';
import { percentile, printTable } from './table';
import { buildFlinkJar } from '../../backend/src/flink/flink-job';

const CUSTOMER = 'cust_bench';
const EVENTS = 100_000;
const VISITORS = 10_000;

/**
 * The Flink Kafka job's throughput beside the TypeScript processor's, on the same 100,000
 * events (10,000 visitors, one customer, three segments) in the same run: the events are in Kafka
 * before the job starts, and the job reads the topics to their end (PULSE_FLINK_UNTIL_LATEST) at
 * parallelism 1 and 2, transactional sinks and 1 s checkpoints on. The figure is the job's net run
 * time as Flink reports it (deployment included, the MiniCluster's start excluded). Between the
 * two runs, the loader loads the first run's outputs and the events (`flinkLoader`). The TS
 * processor's figures come from the `processor` section, run first in this same process.
 */
export async function benchFlink(): Promise<Record<string, unknown>> {
  const ts = (await benchProcessor()) as { kafka?: { eventsPerSecond: number } };
  const events = asPulseEvents(eventMix(EVENTS, VISITORS), CUSTOMER);
  const [broker] = await Promise.all([startKafka(), buildFlinkJar({ offline: true })]);
  const dir = mkdtempSync(join(tmpdir(), 'pulse-bench-flink-'));
  const results: Record<string, unknown> = { ts };
  const rows: Array<Array<string | number>> = [['engine', 'events', 'seconds', 'events/s']];
  if (ts.kafka)
    rows.push(['TS processor, Kafka → Redis + chdb', EVENTS, '', ts.kafka.eventsPerSecond]);
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
    const segments = join(dir, 'segments.json');
    writeFileSync(segments, JSON.stringify({ [CUSTOMER]: BENCH_SEGMENTS }));

    for (const parallelism of [1, 2]) {
      const { stdout } = await runFlinkMain('dev.pulse.flink.kafka.PulseKafkaJob', [], {
        timeoutMs: 600_000,
        env: {
          KAFKA_BROKERS: broker.brokers,
          PULSE_FLINK_PARALLELISM: String(parallelism),
          PULSE_FLINK_CHECKPOINT_MS: '1000',
          PULSE_FLINK_GROUP: `bench-p${parallelism}`,
          PULSE_SEGMENTS_FILE: segments,
          PULSE_TICK_MS: '0',
          PULSE_FLINK_UNTIL_LATEST: '1',
        },
      });
      const line = stdout.split('\n').find((l) => l.includes('net_runtime_ms'));
      if (!line) throw new Error(`the job printed no run time:\n${stdout}`);
      const seconds = (JSON.parse(line) as { net_runtime_ms: number }).net_runtime_ms / 1000;
      const perSecond = Math.round(EVENTS / seconds);
      results[`flinkP${parallelism}`] = { events: EVENTS, seconds, eventsPerSecond: perSecond };
      rows.push([`Flink, parallelism ${parallelism}`, EVENTS, seconds.toFixed(1), perSecond]);
      if (parallelism === 1) {
        // Before the second run writes its outputs beside the first's.
        const loader = await flinkLoader(broker, dir);
        results.loader = loader;
        rows.push([
          'Flink loader (PULSE_ENGINE=flink), Kafka → Redis + chdb',
          EVENTS,
          loader.seconds.toFixed(1),
          loader.eventsPerSecond,
        ]);
      }
    }
  } finally {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  printTable(rows);
  console.log(
    'goal: 50,000 events/s per 2 cores (issue 12); one customer: its segment work is one slot',
  );
  results.latency = await flinkLatency();
  return results;
}

/** How long the loader must have committed nothing to count as done. */
const QUIET_MS = 2000;

/**
 * The loader's throughput (`PULSE_ENGINE=flink`): what one backend process takes to load the
 * 100,000 events and the job's outputs (identity links, memberships, segment changes) of one
 * run into Redis and chdb, from its first loaded batch to its last (as the TS processor's
 * figure). In the Flink mode every event passes through it, so it bounds that mode as the
 * TS processor bounds the other.
 */
async function flinkLoader(
  broker: KafkaBroker,
  dir: string,
): Promise<{
  events: number;
  links: number;
  changes: number;
  seconds: number;
  eventsPerSecond: number;
}> {
  const redis = await startRedis();
  let events = 0;
  let links = 0;
  let changes = 0;
  let first = 0;
  const backend = await startBackend({
    dataDir: join(dir, 'loader'),
    port: 0,
    ingestSecret: 'bench',
    kafkaBrokers: [broker.brokers],
    redisUrl: redis.url,
    engine: 'flink',
    groupId: 'bench-loader',
    roles: { ingest: false },
    tickMs: 0,
    onBatch: (batch) => {
      first ||= Date.now();
      events += batch.events;
      links += batch.links.length;
      changes += batch.changes.length;
    },
  });
  try {
    // Done when every event is loaded and no poll of any topic has been committed for
    // QUIET_MS: the job's output topics end in transaction markers (and aborted transactions),
    // which no record delivers, so their high marks say nothing about the last record.
    const until = Date.now() + 300_000;
    const lastCommit = () => backend.status().consumer?.lastCommitAt ?? 0;
    while (events < EVENTS || Date.now() - lastCommit() < QUIET_MS) {
      if (Date.now() > until)
        throw new Error(
          `the loader did not finish: ${events} of ${EVENTS} events; ` +
            JSON.stringify(backend.status().consumer),
        );
      await new Promise((r) => setTimeout(r, 50));
    }
    // As the TS processor's figure: from the first loaded batch to the last commit.
    const seconds = (lastCommit() - first) / 1000;
    return { events, links, changes, seconds, eventsPerSecond: Math.round(events / seconds) };
  } finally {
    await backend.stop();
    await redis.stop();
  }
}

const LATENCY_CUSTOMER = 'cust_flink_latency';
const LATENCY_RATE = 1000;
const LATENCY_SECONDS = 15;
/** The job's checkpoint interval: its outputs become visible to read_committed at each one. */
const LATENCY_CHECKPOINT_MS = 500;

const pageView = (visitor: string, at: number): PulseEvent => {
  const time = new Date(at).toISOString();
  return {
    event_id: `${visitor}-e`,
    customer_id: LATENCY_CUSTOMER,
    visitor_id: visitor,
    user_id: null,
    session_id: null,
    event_type: 'page_view',
    event_name: 'page_view',
    properties: { path: '/pricing' },
    previous_id: null,
    context: {},
    timestamp: time,
    original_timestamp: time,
    sent_at: time,
    received_at: time,
  };
};

/**
 * End-to-end latency through the Flink job at 1K events/s: from Kafka's ack of an event (what
 * the edge's 200 waits for) to its segment enter being readable on `pulse.segments` with
 * read_committed (what a consumer of the job's output sees). Each event is a new visitor's first
 * page view, which enters a one-view segment. The job runs in its own MiniCluster JVM at
 * parallelism 1 with 500 ms checkpoints, the floor of this latency, printed beside it.
 */
async function flinkLatency(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-bench-flink-latency-'));
  const broker = await startKafka();
  const job = { stop: async () => {} };
  const kafka = new Kafka({ brokers: [broker.brokers], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: 'bench-latency-reader', maxWaitTimeInMs: 20 });
  const sink = createKafkaSink({ brokers: [broker.brokers] });
  const arrived = new Map<string, number>();
  try {
    await setUpTopics([broker.brokers], BENCH_TOPICS);
    const segments = join(dir, 'latency-segments.json');
    writeFileSync(
      segments,
      JSON.stringify({
        [LATENCY_CUSTOMER]: [
          { id: 'viewers', rule: { event_type: 'page_view', min_count: 1, window: '1h' } },
        ],
      }),
    );
    const flink = startFlinkMain('dev.pulse.flink.kafka.PulseKafkaJob', {
      KAFKA_BROKERS: broker.brokers,
      PULSE_FLINK_PARALLELISM: '1',
      PULSE_FLINK_CHECKPOINT_MS: String(LATENCY_CHECKPOINT_MS),
      PULSE_FLINK_GROUP: 'bench-latency',
      PULSE_SEGMENTS_FILE: segments,
    });
    job.stop = () => flink.stop();
    await consumer.connect();
    await consumer.subscribe({ topics: [TOPICS.segments], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const change = JSON.parse(message.value?.toString() ?? '{}') as {
          id?: string;
          change?: string;
        };
        if (change.change === 'enter' && change.id && !arrived.has(change.id)) {
          arrived.set(change.id, Date.now());
        }
      },
    });
    // Warm up: the job deploys, and its first checkpoint commits the first outputs.
    const warmUntil = Date.now() + 180_000;
    for (let n = 0; ![...arrived.keys()].some((id) => id.startsWith('warm-')); n++) {
      if (Date.now() > warmUntil) throw new Error(`the Flink job never answered:\n${flink.log()}`);
      await sink.write({
        customer_id: LATENCY_CUSTOMER,
        events: [pageView(`warm-${n}`, Date.now())],
        dead_letters: [],
      });
      await new Promise((r) => setTimeout(r, 500));
    }
    // 1K events/s: 50 new visitors every 50 ms; an event's clock starts at Kafka's ack.
    const ackedAt = new Map<string, number>();
    const perTick = LATENCY_RATE / 20;
    const start = Date.now();
    for (let tick = 0; tick < LATENCY_SECONDS * 20; tick++) {
      const events = Array.from({ length: perTick }, (_, i) =>
        pageView(`v-${tick}-${i}`, Date.now()),
      );
      await sink.write({ customer_id: LATENCY_CUSTOMER, events, dead_letters: [] });
      const now = Date.now();
      for (const event of events) ackedAt.set(event.visitor_id, now);
      const next = start + (tick + 1) * 50;
      if (next > Date.now()) await new Promise((r) => setTimeout(r, next - Date.now()));
    }
    const drainUntil = Date.now() + 60_000;
    while ([...ackedAt.keys()].some((id) => !arrived.has(id)) && Date.now() < drainUntil) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const latencies = [...ackedAt].flatMap(([id, at]) => {
      const seen = arrived.get(id);
      return seen === undefined ? [] : [seen - at];
    });
    const result = {
      events: ackedAt.size,
      missing: ackedAt.size - latencies.length,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: Math.max(...latencies),
      checkpointMs: LATENCY_CHECKPOINT_MS,
      sendSeconds: (Date.now() - start) / 1000,
    };
    printTable([
      [
        'Flink end to end at 1K events/s',
        'events',
        'missing',
        'p50 ms',
        'p99 ms',
        'max ms',
        'checkpoint ms',
      ],
      [
        'Kafka ack → enter on pulse.segments (read_committed)',
        result.events,
        result.missing,
        result.p50,
        result.p99,
        result.max,
        LATENCY_CHECKPOINT_MS,
      ],
    ]);
    console.log('goal: p50 ≤ 500 ms, p99 ≤ 2,000 ms (issue 12); floor: the checkpoint interval');
    return result;
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await sink.close();
    await job.stop();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
