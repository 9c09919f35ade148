import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdentityLink, SegmentChange } from '@pulse/contract';
import { readCommittedCorrectly } from '../../backend/src/kafka/committed-reads';
import { setUpTopics, TOPICS } from '../../backend/src/kafka/topics';
import { createKafkaSink, type KafkaSink } from '../../backend/src/sinks/kafka-sink';
import { readTopics, type ReadMessage } from '../../backend/test/kafka-fixtures';
import { missingService, waitUntil } from '../services/free-port';
import {
  abortedRecords,
  partitionEnds,
  readCommitted,
  startFlinkMain,
  watchInFlightOffsets,
} from '../services/flink-job';
import {
  kafkaToolsAvailable,
  ONE_PARTITION_TOPICS,
  startKafka,
  type KafkaBroker,
} from '../services/kafka/broker';
import {
  expectReferenceChanges,
  expectReferenceLinks,
  committedOutputs,
  DEFINITIONS,
  produceRange,
  referenceRun,
  restartStream,
  type ReferenceRun,
} from './restart-stream';
import { buildFlinkJar, type JavaProcess } from '../../backend/src/flink/flink-job';

const why = await kafkaToolsAvailable();
const skip = why
  ? missingService('Java and Maven (Kafka and the Flink job)', why) === 'skip'
  : false;

const EVENTS = 2000;
/** At most this many crashes to leave aborted records behind (see the kill below). */
const CRASHES = 3;

/**
 * Exactly once across a crash: the Kafka job (parallelism 2, 5 s checkpoints kept in a local
 * directory) is killed with SIGKILL while its sinks hold uncommitted outputs, events keep arriving while
 * it is down, and a new process resumes from its newest checkpoint. What read_committed readers
 * see on pulse.segments and pulse.identity must equal an uninterrupted run of the same stream
 * (the vector runner): nothing lost, no enter or exit announced twice, no link written twice.
 * The outputs are read with Kafka's own Java consumer; kafkajs 2.2.4, read_committed, was seen
 * here to deliver records of the transactions the crash left open and the restart aborted, and
 * with the loader's fix (backend/src/kafka/committed-reads.ts) must read what Java reads.
 */
describe.skipIf(skip)('the Flink Kafka job killed with SIGKILL and started again', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-flink-restart-'));
  const events = restartStream(EVENTS);
  let broker: KafkaBroker;
  let job: JavaProcess | undefined;
  let sink: KafkaSink;
  let segments: SegmentChange[] = [];
  let links: IdentityLink[] = [];
  let reference: ReferenceRun;
  /** Records the crashes left in aborted transactions on pulse.segments, and how many crashes. */
  let aborted = 0;
  let crashes = 0;

  const env = (segmentsFile: string) => ({
    KAFKA_BROKERS: broker.brokers,
    PULSE_FLINK_PARALLELISM: '2',
    // Long enough that the watcher almost always finds records of the open transaction, which
    // the restart aborts. Between a checkpoint's barrier and its completion the records seen in
    // flight may instead be the pre-committed transaction, which the restart commits; with 1 s
    // checkpoints and the sinks keyed apart from the segment operator a run (ci34, Node 24) left
    // no aborted record on pulse.segments.
    PULSE_FLINK_CHECKPOINT_MS: '5000',
    PULSE_FLINK_CHECKPOINT_DIR: `file://${join(dir, 'checkpoints')}`,
    PULSE_SEGMENTS_FILE: segmentsFile,
    PULSE_TICK_MS: '0',
  });
  const readOutputs = async () => {
    ({ changes: segments, links } = await committedOutputs(broker.brokers));
  };
  const produce = (from: number, to: number) => produceRange(sink, events, from, to);
  /**
   * Kills the job with SIGKILL as soon as pulse.segments holds records in an open transaction.
   * Events trickle in from `next` (10 every 50 ms) only once the watcher polls, so the job keeps
   * an open transaction most of the time while it looks. Resolves with the next event to send.
   */
  const killWhileInFlight = async (next: number) => {
    let seen = false;
    const watch = watchInFlightOffsets(broker.brokers, [TOPICS.segments], 120_000);
    void watch.found.then(
      () => (seen = true),
      () => undefined,
    );
    await watch.watching;
    for (; !seen && next < EVENTS - 200; next += 10) {
      await produce(next, next + 10);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await watch.found;
    await job!.kill9();
    return next;
  };

  beforeAll(async () => {
    [broker] = await Promise.all([startKafka(), buildFlinkJar({ offline: true })]);
    // One partition each: the stream order is the topic order, and so is the output order.
    await setUpTopics([broker.brokers], ONE_PARTITION_TOPICS);
    const segmentsFile = join(dir, 'segments.json');
    writeFileSync(segmentsFile, JSON.stringify(DEFINITIONS));
    // The reference: the same stream, uninterrupted, through the vector runner.
    reference = await referenceRun(dir, events);

    sink = createKafkaSink({ brokers: [broker.brokers] });

    job = startFlinkMain('dev.pulse.flink.kafka.PulseKafkaJob', env(segmentsFile));
    await produce(0, 800);
    const total = Object.values(reference.changes).flat().length;
    await waitUntil(
      () => `a first share of the changes (job log:\n${job?.log().slice(-3000)})`,
      async () => (await readOutputs(), segments.length >= total / 10),
      120_000,
    );
    // Kill while the sink holds outputs of events after the last checkpoint: those must be
    // aborted and made again from the checkpoint, never seen twice. Events keep coming meanwhile.
    // The records seen in flight are almost always the open transaction's, which the restart
    // aborts. A kill that lands after a checkpoint completed but before its transaction was
    // committed leaves only records the restart commits (seen once in about 25 CI runs, on 5ac739b):
    // then the job is killed again, as a crash can come again, until one leaves aborted records.
    let next = 800;
    for (let attempt = 1; attempt <= CRASHES && aborted === 0; attempt++) {
      next = await killWhileInFlight(next);
      const [ends] = await partitionEnds(broker.brokers, [TOPICS.segments]);
      const whileDown = Math.min(next + 50, EVENTS);
      await produce(next, whileDown);
      next = whileDown;
      job = startFlinkMain('dev.pulse.flink.kafka.PulseKafkaJob', env(segmentsFile));
      await waitUntil(
        'the job to name the checkpoint it resumes from',
        async () => job!.log().includes('"resuming_from":"file:'),
        60_000,
      );
      aborted = await abortedRecords(broker.brokers, TOPICS.segments, ends!.stable, ends!.high);
      crashes = attempt;
      console.log(
        `[kafka-restart] crash ${attempt}: ${aborted} records aborted on ${TOPICS.segments}`,
      );
    }
    await produce(next, EVENTS);
    await waitUntil(
      () =>
        `every change of the reference run on ${TOPICS.segments} (job log:\n${job?.log().slice(-3000)})`,
      async () => (await readOutputs(), segments.length >= total),
      180_000,
    );
  });
  afterAll(async () => {
    await sink?.close();
    await job?.stop();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('announces every change of an uninterrupted run once, in order per profile', () => {
    const reasons = new Set(segments.map((change) => change.reason));
    expect([...reasons].sort()).toEqual(['merged', 'rule', 'window']);
    expectReferenceChanges(segments, reference);
  });

  it('writes every link once, and they add up to the identities of an uninterrupted run', () => {
    expectReferenceLinks(links, reference);
  });

  it('reads through kafkajs, as the Flink loader does, exactly what Kafka’s Java consumer reads', async () => {
    const topics = [TOPICS.segments, TOPICS.identity];
    const java = (await readCommitted(broker.brokers, topics)).map(({ topic, key, value }) => ({
      topic,
      key,
      value,
    }));
    const count = (records: Array<{ topic: string }>, topic: string) =>
      records.filter((r) => r.topic === topic).length;
    const enough = (records: ReadMessage[]) =>
      topics.every((topic) => count(records, topic) >= count(java, topic));
    // The crash left aborted transactions behind: read_uncommitted sees records Java does not.
    expect(
      aborted,
      `aborted records on ${TOPICS.segments} after ${crashes} crashes`,
    ).toBeGreaterThan(0);
    const segmentsOf = (records: Array<{ topic: string }>) => count(records, TOPICS.segments);
    const everything = await readTopics(
      broker.brokers,
      topics,
      (records) => segmentsOf(records) > segmentsOf(java),
      60_000,
      true,
    );
    expect(segmentsOf(everything)).toBeGreaterThan(segmentsOf(java));

    readCommittedCorrectly();
    const read = await readTopics(broker.brokers, topics, enough, 60_000);
    // Each topic has one partition, so both readers see each topic in offset order; the job
    // may have committed more since Java read, so compare the first records of each topic.
    const firstOf = (records: Array<{ topic: string; key: string | null; value: unknown }>) =>
      topics.flatMap((topic) =>
        records
          .filter((r) => r.topic === topic)
          .slice(0, count(java, topic))
          .map(({ key, value }) => ({ topic, key, value })),
      );
    expect(firstOf(read)).toEqual(firstOf(java));
  });
});
