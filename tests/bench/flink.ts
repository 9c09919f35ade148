import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setUpTopics } from '../../backend/src/kafka/topics';
import { createKafkaSink } from '../../backend/src/sinks/kafka-sink';
import { buildFlinkJob, runFlinkMain } from '../services/flink-job';
import { startKafka } from '../services/kafka/broker';
import { asPulseEvents, BENCH_SEGMENTS, eventMix } from './event-mix';
import { benchProcessor } from './processor';
import { printTable } from './table';

const CUSTOMER = 'cust_bench';
const EVENTS = 100_000;
const VISITORS = 10_000;

/**
 * The Flink Kafka job's throughput beside the TypeScript processor's, on the same 100,000
 * events (10,000 visitors, one customer, three segments) in the same run: the events are in Kafka
 * before the job starts, and the job reads the topics to their end (PULSE_FLINK_UNTIL_LATEST) at
 * parallelism 1 and 2, transactional sinks and 1 s checkpoints on. The figure is the job's net run
 * time as Flink reports it (deployment included, the MiniCluster's start excluded). The TS
 * processor's figures come from the `processor` section, run first in this same process.
 */
export async function benchFlink(): Promise<Record<string, unknown>> {
  const ts = (await benchProcessor()) as { kafka?: { eventsPerSecond: number } };
  const events = asPulseEvents(eventMix(EVENTS, VISITORS), CUSTOMER);
  const [broker] = await Promise.all([startKafka(), buildFlinkJob()]);
  const dir = mkdtempSync(join(tmpdir(), 'pulse-bench-flink-'));
  const results: Record<string, unknown> = { ts };
  const rows: Array<Array<string | number>> = [['engine', 'events', 'seconds', 'events/s']];
  if (ts.kafka)
    rows.push(['TS processor, Kafka → Redis + chdb', EVENTS, '', ts.kafka.eventsPerSecond]);
  try {
    await setUpTopics([broker.brokers], {
      partitions: 6,
      replicationFactor: 1,
      minInsyncReplicas: 1,
      retentionMs: 3600_000,
    });
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
    }
  } finally {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  printTable(rows);
  console.log(
    'goal: 50,000 events/s per 2 cores (issue 12); one customer: its segment work is one slot',
  );
  return results;
}
