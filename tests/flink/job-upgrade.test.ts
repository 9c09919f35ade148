import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFile } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setUpTopics } from '../../backend/src/kafka/topics';
import { missingService } from '../services/free-port';
import { runFlinkMain } from '../services/flink-job';
import {
  kafkaToolsAvailable,
  ONE_PARTITION_TOPICS,
  startKafka,
  type KafkaBroker,
} from '../services/kafka/broker';
import { buildFlinkJar, FLINK_JAR } from '../../backend/src/flink/flink-job';

const why = await kafkaToolsAvailable();
const skip = why
  ? missingService('Java and Maven (Kafka and the Flink job)', why) === 'skip'
  : false;

const MAKE_CHECKPOINT = fileURLToPath(new URL('./UnclaimedStateCheckpoint.java', import.meta.url));

/**
 * A job started where a checkpoint holds state of an operator it no longer has (the rollup
 * operators the Kafka job ran before commit d1a7ff1) is refused by Flink, which cannot map that
 * state; `PULSE_FLINK_ALLOW_NON_RESTORED_STATE=1` resumes from it and drops that state. The
 * checkpoint is made by a small job with the old operator's uid (UnclaimedStateCheckpoint.java).
 */
describe.skipIf(skip)('the Flink job upgrades from a checkpoint of an older build', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-flink-upgrade-'));
  const checkpoints = join(dir, 'checkpoints');
  let broker: KafkaBroker;

  beforeAll(async () => {
    [broker] = await Promise.all([startKafka(), buildFlinkJar({ offline: true })]);
    await setUpTopics([broker.brokers], ONE_PARTITION_TOPICS);
  });
  afterAll(async () => {
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const runJob = (env: Record<string, string>) =>
    runFlinkMain('dev.pulse.flink.kafka.PulseKafkaJob', [], {
      timeoutMs: 120_000,
      env: {
        KAFKA_BROKERS: broker.brokers,
        PULSE_FLINK_CHECKPOINT_DIR: pathToFileURL(checkpoints).href,
        PULSE_FLINK_UNTIL_LATEST: '1',
        PULSE_TICK_MS: '0',
        ...env,
      },
    });

  it('refuses state it cannot map, and resumes without it when allowed', async () => {
    // Compiled, not run from source: Flink loads the job's functions by class name in its tasks.
    const classes = join(dir, 'classes');
    await promisify(execFile)('javac', ['-cp', FLINK_JAR, '-d', classes, MAKE_CHECKPOINT]);
    const made = await runFlinkMain('UnclaimedStateCheckpoint', [checkpoints], {
      timeoutMs: 120_000,
      classPath: `${FLINK_JAR}${delimiter}${classes}`,
    });
    expect(made.stdout).toContain('{"checkpointed":true}');

    const refused = await runJob({}).then(
      () => 'exited 0',
      (error: Error) => error.message,
    );
    expect(refused).toContain('exited with 1');
    expect(refused).toMatch(/not available in the new program/);

    const resumed = await runJob({ PULSE_FLINK_ALLOW_NON_RESTORED_STATE: '1' });
    expect(resumed.stdout).toMatch(/\{"resuming_from":"file:[^"]*\/chk-\d+\/?"\}/);
    expect(resumed.stdout).toContain('"finished":true');
  });
});
