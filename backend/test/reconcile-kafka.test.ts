import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import type { ClickHouseClient } from '@clickhouse/client';
import type { DeadLetter, PulseEvent } from '@pulse/contract';
import {
  kafkaToolsAvailable,
  startKafka,
  type KafkaBroker,
} from '../../tests/services/kafka/broker';
import { missingService, waitUntil } from '../../tests/services/free-port';
import { TOPICS } from '../src/kafka/topics';
import { kafkaWitness, startWitness } from '../src/kafka/witness';
import { runReconciliation } from '../src/ops/reconcile-job';
import { createKafkaSink, type KafkaSink } from '../src/sinks/kafka-sink';
import { startBackend, type Backend } from '../src/start-backend';
import { archiveFileOf } from '../src/warehouse/event-archive';
import { fileStore } from '../src/warehouse/file-store';
import { openChdbClient } from '../src/warehouse/open-client';
import type { KafkaWitness } from '../src/warehouse/reconcile';
import type { WitnessedRecord } from '../src/warehouse/warehouse';
import { makeEvent, tempWarehousePath } from './warehouse-fixtures';

// Kafka as the reconciliation's witness, with a real broker: the events the processor
// acknowledged are expected in the warehouse; what the warehouse lost and the archive cannot
// give back is read back from Kafka while Kafka keeps it, and alerts once Kafka no longer does.

const why = await kafkaToolsAvailable();
const skip = why ? missingService('Apache Kafka (java + mvn)', why) === 'skip' : false;

const HOUR = 3_600_000;
const NOW = Date.now();
const H = (back: number) => Math.floor(NOW / HOUR) * HOUR - back * HOUR;
/** Hours with traffic: 20 page views and 5 clicks each (30 hours back is older than the rollups). */
const HOURS = [2, 3, 30];

function traffic(): PulseEvent[] {
  return HOURS.flatMap((back) =>
    Array.from({ length: 25 }, (_, i) =>
      makeEvent({
        event_id: `e-${back}-${i}`,
        timestamp: new Date(H(back) + i * 60_000).toISOString(),
        visitor_id: `v${i % 6}`,
        event_type: i < 20 ? 'page_view' : 'click',
        event_name: i < 20 ? 'page_view' : 'buy',
      }),
    ),
  );
}

describe.skipIf(skip)('reconciliation with Kafka as a witness (real broker)', () => {
  let broker: KafkaBroker;
  let dir: string;
  let backend: Backend;
  let sink: KafkaSink;
  let admin: ClickHouseClient;
  let kafka: KafkaWitness;
  const group = `reconcile-${randomUUID()}`;
  const total = HOURS.length * 25;

  const witnessed = async (where = 'quarantined = 0') => {
    const [row] = await backend.warehouse.query<{ n: string }>(
      `SELECT uniqExact(event_id) AS n FROM pulse.kafka_witness WHERE ${where}`,
    );
    return Number(row?.n ?? 0);
  };
  const processedCount = async () =>
    (await kafka.processed()).reduce((n, p) => n + Number(p.offset), 0);

  beforeAll(async () => {
    broker = await startKafka();
    dir = tempWarehousePath();
    backend = await startBackend({
      dataDir: dir,
      port: 0,
      ingestSecret: 'x',
      kafkaBrokers: [broker.brokers],
      groupId: group,
      tickMs: 0,
      archive: fileStore(join(dir, 'archive')),
      archiveEveryMs: 0,
      // On, so the witness runs; its first run is an hour away, so the tests run it by hand.
      reconcileEveryMs: 3_600_000,
    });
    kafka = kafkaWitness([broker.brokers], group);
    admin = openChdbClient(join(dir, 'warehouse'));
    sink = createKafkaSink({ brokers: [broker.brokers] });
    await sink.write({ customer_id: 'cust_a', events: traffic(), dead_letters: [] });
    await waitUntil(
      `the processor to store and the witness to record all ${total} events`,
      async () =>
        (await backend.warehouse.eventCount('cust_a')) === total &&
        (await witnessed()) === total &&
        (await processedCount()) === total,
      60_000,
    );
    await backend.warehouse.archive(NOW, { watermarkLagMs: 0 });
  }, 180_000);

  afterAll(async () => {
    await sink?.close();
    await backend?.stop();
    await admin?.close();
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The hourly job's run (the last day). */
  const reconcile = () =>
    runReconciliation({ warehouse: backend.warehouse, metrics: backend.metrics, kafka }, NOW);
  /** Two days, to reach the hour older than the rollups. */
  const reconcileTwoDays = () => backend.warehouse.reconcile(NOW - 48 * HOUR, NOW, NOW, kafka);
  const loseRows = (ids: string[]) =>
    admin.command({
      query: `DELETE FROM pulse.events WHERE event_id IN {ids:Array(String)}
      SETTINGS lightweight_deletes_sync = 2`,
      query_params: { ids },
    });
  const loseHourFile = (back: number) =>
    rmSync(join(dir, 'archive', archiveFileOf('cust_a', H(back))));
  const positionOf = async (eventId: string) => {
    const [row] = await backend.warehouse.query<{
      topic: string;
      partition: number;
      offset: string;
    }>(
      `SELECT topic, partition, toString(offset) AS offset FROM pulse.kafka_witness
       WHERE event_id = {id:String} AND quarantined = 0`,
      { id: eventId },
    );
    return row!;
  };

  it('counts what Kafka handed to the processor, and finds nothing when all agree', async () => {
    const report = await reconcileTwoDays();
    // 3 hours × 2 types.
    expect(report.compared).toBe(6);
    expect(report.gaps).toEqual([]);
  });

  it('stores a row of the fields it names per record, nothing of the batch around it', async () => {
    // Each row once carried its whole batch (a spread of kafkajs' batch): rows of the size of
    // the batch, and a heap out of memory at 100K events in the processor bench.
    const seen: WitnessedRecord[] = [];
    const witness = await startWitness({
      brokers: [broker.brokers],
      groupId: `${group}.spy`,
      warehouse: {
        witness: (records) => {
          seen.push(...records);
          return Promise.resolve();
        },
      },
    });
    try {
      await waitUntil(
        'the second witness to read every record',
        async () => seen.length >= total,
        60_000,
      );
    } finally {
      await witness.stop();
    }
    const fields = [
      'customer_id',
      'event_id',
      'event_type',
      'timestamp',
      'topic',
      'partition',
      'offset',
      'quarantined',
    ];
    for (const record of seen) expect(Object.keys(record).sort()).toEqual([...fields].sort());
    expect(Math.max(...seen.map((record) => JSON.stringify(record).length))).toBeLessThan(300);
  });

  it("stores the batches of a fetch's partitions together, not an insert per partition", async () => {
    // One insert per partition batch was 47 inserts a second at 1K events/s over the dev
    // topics' 30 partitions, whose parts and merges took most of chdb's CPU. The spy takes
    // as long as a small insert, so batches handed in meanwhile wait for the next one.
    const inserts: WitnessedRecord[][] = [];
    const witness = await startWitness({
      brokers: [broker.brokers],
      groupId: `${group}.inserts`,
      warehouse: {
        witness: async (records) => {
          inserts.push([...records]);
          await new Promise((resolve) => setTimeout(resolve, 50));
        },
      },
    });
    try {
      await waitUntil(
        'the third witness to read every record',
        async () => inserts.flat().length >= total,
        60_000,
      );
    } finally {
      await witness.stop();
    }
    const partitions = new Set(inserts.flat().map((r) => `${r.topic}/${r.partition}`));
    expect(partitions.size).toBeGreaterThan(2);
    expect(
      inserts.length,
      `${inserts.length} inserts for records of ${partitions.size} partitions`,
    ).toBeLessThan(partitions.size);
  });

  it('heals rows the warehouse lost, whose hour file is gone too, from Kafka', async () => {
    await loseRows(['e-3-1', 'e-3-2', 'e-3-3']);
    loseHourFile(3);
    const report = await reconcile();
    expect(report.gaps).toEqual([
      {
        customer_id: 'cust_a',
        hour: new Date(H(3)).toISOString(),
        event_type: 'click',
        expected: 5,
        warehouse: 5,
        archive: 0,
        rollups: 5,
        kafka: 5,
        healed: 0,
        healed_from_kafka: 0,
        missing: 0,
        alert: false,
      },
      {
        customer_id: 'cust_a',
        hour: new Date(H(3)).toISOString(),
        event_type: 'page_view',
        expected: 20,
        warehouse: 17,
        archive: 0,
        rollups: 20,
        kafka: 20,
        healed: 3,
        healed_from_kafka: 3,
        missing: 0,
        alert: false,
      },
    ]);
    expect(report.alert).toBe(false);
    expect(await backend.warehouse.eventCount('cust_a')).toBe(total);
    const healedLine = (await backend.metrics.registry.metrics())
      .split('\n')
      .find((line) =>
        line.startsWith('pulse_reconciliation_healed_events_total{customer="cust_a",from="kafka"}'),
      );
    expect(healedLine).toMatch(/ 3$/);
    // The hour was archived again, whole: the next run finds nothing.
    expect((await reconcile()).gaps).toEqual([]);
  });

  it('does not expect, nor copy back, a record the processor quarantined', async () => {
    // The processor's dead letter for e-30-0's record, as it writes one to pulse.dlq.
    const source = await positionOf('e-30-0');
    const letter: DeadLetter = {
      customer_id: 'cust_a',
      index: -1,
      event_id: 'e-30-0',
      code: 'quarantined',
      message: 'the warehouse refused it (test)',
      raw: {},
      received_at: new Date(NOW).toISOString(),
      source,
    };
    await sink.write({ customer_id: 'cust_a', events: [], dead_letters: [letter] });
    await waitUntil(
      'the witness to record the dead letter',
      async () => (await witnessed('quarantined = 1')) === 1,
      30_000,
    );
    await loseRows(['e-30-0']);
    loseHourFile(30);
    const report = await reconcileTwoDays();
    const pageViews = report.gaps.find((gap) => gap.event_type === 'page_view');
    expect(pageViews).toEqual({
      customer_id: 'cust_a',
      hour: new Date(H(30)).toISOString(),
      event_type: 'page_view',
      expected: 19,
      warehouse: 19,
      archive: 0,
      rollups: null,
      kafka: 19,
      healed: 0,
      healed_from_kafka: 0,
      missing: 0,
      alert: false,
    });
    expect(await backend.warehouse.eventCount('cust_a')).toBe(total - 1);
  });

  it('alerts when Kafka no longer keeps what the warehouse and the archive lost', async () => {
    await loseRows(['e-2-1', 'e-2-2']);
    loseHourFile(2);
    // Retention passed: the page views' records are deleted from every partition.
    const client = new Kafka({ brokers: [broker.brokers], logLevel: logLevel.NOTHING }).admin();
    await client.connect();
    try {
      const topic = TOPICS.events('page_view');
      const partitions = await client.fetchTopicOffsets(topic);
      await client.deleteTopicRecords({
        topic,
        partitions: partitions.map(({ partition, high }) => ({ partition, offset: high })),
      });
    } finally {
      await client.disconnect();
    }
    const report = await reconcile();
    expect(report.gaps.filter((gap) => gap.alert)).toEqual([
      {
        customer_id: 'cust_a',
        hour: new Date(H(2)).toISOString(),
        event_type: 'page_view',
        expected: 20,
        warehouse: 18,
        archive: 0,
        rollups: 20,
        kafka: 20,
        healed: 0,
        healed_from_kafka: 0,
        missing: 2,
        alert: true,
      },
    ]);
  });

  it('expects nothing of records the processor has not acknowledged yet (a lagging processor)', async () => {
    const lagging: KafkaWitness = { processed: () => Promise.resolve([]), read: kafka.read };
    const report = await backend.warehouse.reconcile(NOW - 24 * HOUR, NOW, NOW, lagging);
    expect(report.gaps.find((gap) => gap.hour === new Date(H(2)).toISOString())).toMatchObject({
      event_type: 'page_view',
      kafka: 0,
      expected: 20,
      healed_from_kafka: 0,
    });
  });

  it('names a failed read back from Kafka, leaves that hour missing and goes on', async () => {
    await loseRows(['e-3-5']);
    loseHourFile(3);
    const broken: KafkaWitness = {
      processed: kafka.processed,
      read: () => Promise.reject(new Error('the broker went away')),
    };
    const report = await backend.warehouse.reconcile(NOW - 24 * HOUR, NOW, NOW, broken);
    // This hour's, and the one whose records Kafka no longer keeps (the read fails first).
    const failed = (back: number) =>
      `healing cust_a ${new Date(H(back)).toISOString()} page_view from Kafka failed: Error: the broker went away`;
    expect([...report.errors].sort()).toEqual([failed(3), failed(2)]);
    expect(
      report.gaps.find(
        (gap) => gap.hour === new Date(H(3)).toISOString() && gap.event_type === 'page_view',
      ),
    ).toMatchObject({ kafka: 20, warehouse: 19, healed_from_kafka: 0, missing: 1, alert: true });
  });

  it('reads back records far apart in a partition (a seek per run), and only those', async () => {
    // A topic of its own, one partition, 25,000 events: the positions asked for are 20,000 apart.
    const topic = 'reconcile-read-back';
    const client = new Kafka({ brokers: [broker.brokers], logLevel: logLevel.NOTHING });
    const topics = client.admin();
    await topics.connect();
    await topics.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await topics.disconnect();
    const producer = client.producer();
    await producer.connect();
    try {
      for (let from = 0; from < 25_000; from += 1_000) {
        await producer.send({
          topic,
          acks: -1,
          messages: Array.from({ length: 1_000 }, (_, i) => ({
            value: JSON.stringify(
              makeEvent({ event_id: `r-${from + i}`, timestamp: new Date(H(2)).toISOString() }),
            ),
          })),
        });
      }
    } finally {
      await producer.disconnect();
    }
    const at = (offset: number) => ({ topic, partition: 0, offset: String(offset) });
    const events = await kafka.read([at(24_000), at(3), at(3), at(4), at(23_999)]);
    expect(events.map((event) => event.event_id).sort()).toEqual(
      ['r-23999', 'r-24000', 'r-3', 'r-4'].sort(),
    );
  });
});
