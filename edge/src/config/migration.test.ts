import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestEdge } from '../../test/support/test-app';
import { keyConfigs, nativeEvent } from '../../test/support/fixtures';
import { startRecordingServer, type RecordingServer } from '../../test/support/recording-server';
import { createCachedConfigStore } from './cached-config-store';
import { createMemoryConfigStore } from './memory-config-store';
import { MIGRATION_ENTRY, rolloutBucket, rolloutMode, type MigrationStage } from './migration';

const customers = Array.from({ length: 2000 }, (_, i) => `cust_${i.toString(36)}`);
const onPulse = (stage: MigrationStage) =>
  new Set(customers.filter((customer) => rolloutMode(stage, customer) === 'new'));

describe('the rollout across customers', () => {
  it('puts each customer in a stable bucket, and spreads customers over all of them', () => {
    const counts = new Array<number>(100).fill(0);
    for (const customer of customers) {
      const bucket = rolloutBucket(customer);
      expect(rolloutBucket(customer)).toBe(bucket);
      counts[bucket] = (counts[bucket] ?? 0) + 1;
    }
    // 20 per bucket on average: none empty, none holding three times its share.
    expect(Math.min(...counts)).toBeGreaterThan(0);
    expect(Math.max(...counts)).toBeLessThan(60);
  });

  it('only ever adds customers as the share grows: 0, 10, 25, 50, 100%', () => {
    const stages = [0, 10, 25, 50, 100].map((percent) => onPulse({ percent, rollback: false }));
    expect(stages[0]?.size).toBe(0);
    expect(stages[4]?.size).toBe(customers.length);
    for (let i = 1; i < stages.length; i++) {
      const [before, after] = [stages[i - 1] ?? new Set(), stages[i] ?? new Set()];
      for (const customer of before) expect(after.has(customer)).toBe(true);
      expect(after.size).toBeGreaterThan(before.size);
    }
    // Near its share: 25% of 2,000 customers is 500.
    expect(Math.abs((stages[2]?.size ?? 0) - 500)).toBeLessThan(100);
  });

  it('sends every rollout customer back to shadow on rollback, whatever the share', () => {
    expect(onPulse({ percent: 100, rollback: true }).size).toBe(0);
  });
});

/** The legacy pipeline: outside Pulse, so a recording double. */
let legacy: RecordingServer;
beforeAll(async () => {
  legacy = await startRecordingServer();
});
afterAll(() => legacy.close());
beforeEach(() => {
  legacy.requests.length = 0;
  legacy.respond = () => ({
    status: 200,
    body: '{"legacy":"ok"}',
    contentType: 'application/json',
  });
});

describe('a rollout key at the edge', () => {
  const base = keyConfigs()['pk_test_open']!;
  const keys = (stage: MigrationStage | undefined) => ({
    ...keyConfigs(),
    pk_rollout: {
      ...base,
      customer_id: 'cust_rollout',
      routing: 'rollout',
      legacy_url: legacy.url,
    },
    ...(stage ? { [MIGRATION_ENTRY]: stage } : {}),
  });
  const send = (edge: ReturnType<typeof createTestEdge>) =>
    edge.post('/v1/events?key=pk_rollout', { events: [nativeEvent()] });

  it('is in shadow until a stage says otherwise, then on Pulse alone at 100%', async () => {
    const unstaged = createTestEdge({ deps: { config: createMemoryConfigStore(keys(undefined)) } });
    await send(unstaged);
    expect([legacy.requests.length, unstaged.sink.batches.length]).toEqual([1, 1]);

    legacy.requests.length = 0;
    const full = createTestEdge({
      deps: { config: createMemoryConfigStore(keys({ percent: 100, rollback: false })) },
    });
    const res = await send(full);
    expect(res.status).toBe(200);
    expect([legacy.requests.length, full.sink.batches.length]).toEqual([0, 1]);
  });

  it('rolls back with one change, effective once the config cache expires', async () => {
    let stage: MigrationStage = { percent: 100, rollback: false };
    let now = 0;
    const inner = {
      get: (key: string) => createMemoryConfigStore(keys(stage)).get(key),
      migration: () => createMemoryConfigStore(keys(stage)).migration(),
    };
    const config = createCachedConfigStore(inner, { ttlMs: 10_000, now: () => now });
    const edge = createTestEdge({ deps: { config } });
    await send(edge);
    expect(legacy.requests).toHaveLength(0);

    stage = { percent: 100, rollback: true };
    now = 9_999;
    await send(edge);
    expect(legacy.requests).toHaveLength(0);
    now = 10_000;
    await send(edge);
    expect(legacy.requests).toHaveLength(1);
    // Shadow: legacy answers, and Pulse still gets every event for the parity report.
    expect(edge.sink.batches).toHaveLength(3);
  });

  it('never takes the stage for a write key', async () => {
    const edge = createTestEdge({
      deps: { config: createMemoryConfigStore(keys({ percent: 10, rollback: false })) },
    });
    const res = await edge.post(`/v1/events?key=${encodeURIComponent(MIGRATION_ENTRY)}`, {
      events: [nativeEvent()],
    });
    expect(res.status).toBe(401);
  });
});
