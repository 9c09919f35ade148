import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingService } from '../services/free-port';
import { runFlinkMain } from '../services/flink-job';
import { kafkaToolsAvailable } from '../services/kafka/broker';
import { buildFlinkJar } from '../../backend/src/flink/flink-job';

const why = await kafkaToolsAvailable();
const skip = why ? missingService('Java and Maven (the Flink job)', why) === 'skip' : false;

/**
 * The Kafka job's configuration where no environment can be set (Amazon Managed Service for
 * Apache Flink): the `PulseJob` group of a runtime properties file, in Managed Flink's shape,
 * wins over the environment. The job refuses a bad value by name before it touches Kafka, so
 * which value it read shows without a broker.
 */
describe.skipIf(skip)('the Flink job reads runtime properties', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-flink-config-'));
  beforeAll(() => buildFlinkJar({ offline: true }));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = async (groups: unknown, env: Record<string, string>) => {
    const file = join(dir, `properties-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(groups));
    const outcome = await runFlinkMain('dev.pulse.flink.kafka.PulseKafkaJob', [], {
      timeoutMs: 60_000,
      env: { KAFKA_BROKERS: '', ...env, PULSE_FLINK_PROPERTIES_FILE: file },
    }).then(
      () => 'exited 0',
      (error: Error) => error.message,
    );
    return outcome;
  };

  it('takes the PulseJob group over the environment, and no other group', async () => {
    const groups = [
      { PropertyGroupId: 'Other', PropertyMap: { PULSE_FLINK_PARALLELISM: 'other' } },
      {
        PropertyGroupId: 'PulseJob',
        PropertyMap: { KAFKA_BROKERS: '127.0.0.1:1', PULSE_FLINK_PARALLELISM: 'zero' },
      },
    ];
    expect(await run(groups, { PULSE_FLINK_PARALLELISM: '2' })).toContain(
      'PULSE_FLINK_PARALLELISM must be a positive whole number, not zero',
    );
  });

  it('falls back to the environment for what the group leaves out', async () => {
    const groups = [{ PropertyGroupId: 'PulseJob', PropertyMap: { KAFKA_BROKERS: '127.0.0.1:1' } }];
    expect(await run(groups, { PULSE_TICK_MS: '-5' })).toContain(
      'PULSE_TICK_MS must be a non-negative whole number, not -5',
    );
    expect(await run([], {})).toContain('KAFKA_BROKERS must name at least one broker');
    // TLS listeners (ssl://, as Amazon MSK's) or plaintext, not both.
    const mixed = [
      { PropertyGroupId: 'PulseJob', PropertyMap: { KAFKA_BROKERS: 'ssl://a:9094,b:9092' } },
    ];
    expect(await run(mixed, {})).toContain('KAFKA_BROKERS mixes ssl:// and plaintext addresses');
  });
});
