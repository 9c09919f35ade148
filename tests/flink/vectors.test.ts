import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MinuteRollup, SegmentChange } from '@pulse/contract';
import { vectorCustomers } from '../processing/check-vector';
import { missingService } from '../services/free-port';
import { runFlinkMain } from '../services/flink-job';
import { kafkaToolsAvailable } from '../services/kafka/broker';
import { loadVectors } from '../vectors/load';
import { runnerInput } from './vector-input';
import { buildFlinkJar } from '../../backend/src/flink/flink-job';

/** What `VectorRunner` prints: the job's outputs folded as a reader of its topics would. */
interface RunnerResult {
  /** Per customer, in the order the job emitted them. */
  changes: Record<string, SegmentChange[]>;
  identities: Record<string, Record<string, string>>;
  memberships: Record<string, Record<string, string[]>>;
  rollups: Record<string, Array<Omit<MinuteRollup, never>>>;
  event_counts: Record<string, number>;
}

const why = await kafkaToolsAvailable();
const skip = why ? missingService('Java and Maven (the Flink job)', why) === 'skip' : false;

const { input, scoped } = runnerInput(loadVectors());
const PARALLELISMS = [1, 4] as const;

/**
 * Every vector of tests/vectors through the Flink job (backend/flink) in a local MiniCluster, at
 * parallelism 1 and 4: all vectors in one job per parallelism, each with customers of its own.
 * Instances run in parallel, so changes of different customers have no order between them: the
 * changes are compared per customer, in emission order.
 */
describe.skipIf(skip)('processing vectors through the Flink job', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-flink-vectors-'));
  const results = new Map<number, RunnerResult>();

  beforeAll(async () => {
    await buildFlinkJar({ offline: true });
    const file = join(dir, 'input.json');
    writeFileSync(file, JSON.stringify(input));
    // One MiniCluster at a time: the machine has two cores.
    for (const parallelism of PARALLELISMS) {
      const { stdout } = await runFlinkMain(
        'dev.pulse.flink.vectors.VectorRunner',
        [file, String(parallelism)],
        { timeoutMs: 240_000 },
      );
      results.set(parallelism, JSON.parse(stdout) as RunnerResult);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe.each(PARALLELISMS)('at parallelism %i', (parallelism) => {
    it.each(scoped.map((vector) => [vector.name, vector] as const))('%s', (_name, vector) => {
      const result = results.get(parallelism)!;
      const label = (what: string) => `${vector.name} (parallelism ${parallelism}): ${what}`;
      for (const customer of vectorCustomers(vector)) {
        expect(result.changes[customer] ?? [], label(`changes of ${customer}`)).toEqual(
          vector.expect.changes.filter((change) => change.customer_id === customer),
        );
        expect(result.identities[customer] ?? {}, label(`identities of ${customer}`)).toEqual(
          vector.expect.identities[customer] ?? {},
        );
        expect(result.rollups[customer] ?? [], label(`rollups of ${customer}`)).toEqual(
          vector.expect.rollups[customer] ?? [],
        );
        expect(result.event_counts[customer] ?? 0, label(`event count of ${customer}`)).toBe(
          vector.expect.event_counts[customer] ?? 0,
        );
      }
      for (const [customer, memberships] of Object.entries(vector.expect.memberships)) {
        expect(result.memberships[customer], label(`memberships of ${customer}`)).toEqual(
          memberships,
        );
      }
    });
  });

  it('emits the same changes at parallelism 1 and 4, customer by customer', () => {
    expect(results.get(4)).toEqual(results.get(1));
    expect(Object.keys(results.get(1)!.changes).length).toBeGreaterThan(20);
  });
});
