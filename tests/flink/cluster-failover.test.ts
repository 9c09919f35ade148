import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdentityLink, SegmentChange } from '@pulse/contract';
import { setUpTopics, TOPICS } from '../../backend/src/kafka/topics';
import { createKafkaSink, type KafkaSink } from '../../backend/src/sinks/kafka-sink';
import { startBackend, type Backend } from '../../backend/src/start-backend';
import { allMembers } from '../fixtures/processing';
import {
  CLUSTER_JAR_CLASS_PATH,
  startFlinkCluster,
  type FlinkCluster,
} from '../services/flink-cluster';
import { missingService, waitUntil } from '../services/free-port';
import { runFlinkMain, watchInFlightOffsets } from '../services/flink-job';
import {
  kafkaToolsAvailable,
  ONE_PARTITION_TOPICS,
  startKafka,
  type KafkaBroker,
} from '../services/kafka/broker';
import { redisUnavailable, startRedis, type RedisServer } from '../services/redis';
import {
  expectReferenceChanges,
  expectReferenceLinks,
  committedOutputs,
  CUSTOMERS,
  SEGMENTS,
  DEFINITIONS,
  produceRange,
  referenceRun,
  restartStream,
  type ReferenceRun,
} from './restart-stream';
import { buildFlinkJar } from '../../backend/src/flink/flink-job';

const why = (await kafkaToolsAvailable()) ?? redisUnavailable();
const skip = why
  ? missingService('Java, Maven and Redis (Kafka, the Flink cluster, the state)', why) === 'skip'
  : false;

const EVENTS = 100_000;

/**
 * Distribution and failover: the Kafka job on a session cluster of three JVMs (a JobManager and
 * two TaskManagers with two slots each, started from the Maven jars with Flink's classes only),
 * submitted as the one jar built for clusters (`-Pcluster-jar`), parallelism 2. In the
 * middle of a stream of 100,000 events, while its sinks hold uncommitted outputs, a TaskManager
 * that runs the job's tasks is killed with SIGKILL. The JobManager notices, restarts the job
 * from its last checkpoint on the slots left, and what read_committed readers see on
 * pulse.segments and pulse.identity equals an uninterrupted run of the same stream: nothing lost,
 * no enter or exit announced twice, no link written twice. Then the backend's loader
 * (`engine: 'flink'`) puts the outputs into Redis and chdb: the memberships and each customer's
 * event count equal the uninterrupted run's.
 */
describe.skipIf(skip)('the Flink job on a cluster of three JVMs, one TaskManager killed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-flink-cluster-'));
  const events = restartStream(EVENTS);
  let broker: KafkaBroker;
  let redis: RedisServer;
  let backend: Backend | undefined;
  let cluster: FlinkCluster | undefined;
  let sink: KafkaSink;
  let reference: ReferenceRun;
  let jobId = '';
  let killed = -1;
  let changes: SegmentChange[] = [];
  let links: IdentityLink[] = [];
  /** Each customer's members per segment in the state store, sorted. */
  const loadedMemberships = async () => {
    const memberships: Record<string, Record<string, string[]>> = {};
    for (const customer of CUSTOMERS) {
      for (const { id } of SEGMENTS) {
        const members = await allMembers(backend!.store, customer, id);
        (memberships[customer] ??= {})[id] = [...members].sort();
      }
    }
    return memberships;
  };
  const produce = (from: number, to: number) => produceRange(sink, events, from, to);
  const read = async () => ({ changes, links } = await committedOutputs(broker.brokers));

  beforeAll(async () => {
    [broker, redis] = await Promise.all([
      startKafka(),
      startRedis(),
      buildFlinkJar({ offline: true, clusterJar: true }),
    ]);
    // One partition each: the stream order is the topic order, and so is the output order.
    await setUpTopics([broker.brokers], ONE_PARTITION_TOPICS);
    const segmentsFile = join(dir, 'segments.json');
    writeFileSync(segmentsFile, JSON.stringify(DEFINITIONS));
    reference = await referenceRun(dir, events);
    const total = Object.values(reference.changes).flat().length;

    cluster = await startFlinkCluster({ dir: join(dir, 'cluster'), taskManagers: 2, slots: 2 });
    sink = createKafkaSink({ brokers: [broker.brokers] });
    await produce(0, 40_000);
    // Submitted from the cluster jar, which goes with the job: the cluster has only Flink.
    const submitted = await runFlinkMain('dev.pulse.flink.kafka.PulseKafkaJob', [], {
      timeoutMs: 120_000,
      classPath: CLUSTER_JAR_CLASS_PATH,
      env: {
        KAFKA_BROKERS: broker.brokers,
        PULSE_FLINK_CLUSTER: cluster.rest,
        PULSE_FLINK_PARALLELISM: '2',
        PULSE_FLINK_CHECKPOINT_MS: '1000',
        PULSE_FLINK_CHECKPOINT_DIR: `file://${join(dir, 'checkpoints')}`,
        PULSE_SEGMENTS_FILE: segmentsFile,
        PULSE_TICK_MS: '0',
      },
    });
    jobId = (JSON.parse(submitted.stdout.trim().split('\n').at(-1) ?? '{}') as { job_id: string })
      .job_id;
    await waitUntil(
      () =>
        `a first share of the changes (JobManager log:\n${cluster?.jobManager.log().slice(-3000)})`,
      async () => (await read(), changes.length >= total / 10),
      180_000,
    );
    // Kill a TaskManager that runs the job's tasks while a sink holds uncommitted outputs.
    const watch = watchInFlightOffsets(broker.brokers, [TOPICS.segments], 120_000);
    let seen = false;
    void watch.found.then(
      () => (seen = true),
      () => undefined,
    );
    await watch.watching;
    let next = 40_000;
    for (; !seen && next < EVENTS - 20_000; next += 500) await produce(next, next + 500);
    await watch.found;
    const hosts = await cluster.taskManagersOf(jobId);
    // Spread over both (taskmanager.load-balance.mode: SLOTS): whichever dies, the job loses.
    expect(hosts).toEqual(['tm-0', 'tm-1']);
    killed = 0;
    await cluster.taskManagers[killed]!.kill9();
    await produce(next, EVENTS);
    await waitUntil(
      () =>
        `every change of the reference run on ${TOPICS.segments} (JobManager log:\n${cluster?.jobManager.log().slice(-3000)})`,
      async () => (await read(), changes.length >= total),
      300_000,
    );

    // The loader, as `PULSE_ENGINE=flink` runs it: Redis and chdb from the job's outputs.
    backend = await startBackend({
      dataDir: join(dir, 'backend'),
      port: 0,
      ingestSecret: 'cluster-failover',
      kafkaBrokers: [broker.brokers],
      redisUrl: redis.url,
      engine: 'flink',
      ttl: false,
    });
    const loaded = backend;
    await waitUntil(
      'every event in the warehouse',
      async () => {
        const counts = await Promise.all(
          CUSTOMERS.map((customer) => loaded.warehouse.eventCount(customer)),
        );
        return counts.reduce((a, b) => a + b, 0) === EVENTS;
      },
      180_000,
    );
    // The outputs' topics load beside the events: wait for the memberships too; if they never
    // match, the test below shows the difference.
    await waitUntil(
      'the memberships of the uninterrupted run in Redis',
      async () =>
        JSON.stringify(await loadedMemberships()) === JSON.stringify(reference.memberships),
      60_000,
    ).catch(() => undefined);
  });
  afterAll(async () => {
    await backend?.stop();
    await redis?.stop();
    await sink?.close();
    await cluster?.stop();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lost a TaskManager and restarted the job from its checkpoint on the one left', async () => {
    expect(killed).toBeGreaterThanOrEqual(0);
    expect((await cluster!.overview()).taskmanagers).toBe(1);
    // The job failed once it lost tm-0's tasks, and came back (RUNNING) on tm-1's slots.
    const failures = await cluster!.failures(jobId);
    expect(failures.length, JSON.stringify(failures)).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(failures)).toContain('tm-0');
    expect((await cluster!.job(jobId)).state).toBe('RUNNING');
  });

  it('announces every change of an uninterrupted run once, in order per profile', () => {
    expectReferenceChanges(changes, reference);
  });

  it('writes every link once, and they add up to the identities of an uninterrupted run', () => {
    expectReferenceLinks(links, reference);
  });

  it('loads into Redis and chdb the memberships and counts of an uninterrupted run', async () => {
    const counts: Record<string, number> = {};
    for (const customer of CUSTOMERS)
      counts[customer] = await backend!.warehouse.eventCount(customer);
    expect(counts).toEqual(reference.event_counts);
    expect(await loadedMemberships()).toEqual(reference.memberships);
  });
});
