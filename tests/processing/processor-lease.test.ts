import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PulseEvent } from '@pulse/contract';
import {
  startProcessorLease,
  type ProcessorLease,
} from '../../backend/src/processor/processor-lease';
import type { KafkaSink } from '../../backend/src/sinks/kafka-sink';
import type { StateStore } from '../../backend/src/state/state-store';
import { allMembers, pageView, PRICING_FANS } from '../fixtures/processing';
import { missingService } from '../services/free-port';
import { kafkaToolsAvailable, type KafkaBroker } from '../services/kafka/broker';
import { redisUnavailable, startRedis, type RedisServer } from '../services/redis';
import { startBackend } from '../../backend/src/start-backend';
import { startScaleServices, type ScaleServices } from './scale-services';
import { processorChild } from './processor-child';

// The TS processor is the single-node engine: a second processor of the same consumer group
// (two replicas, a deploy that starts the new before it stops the old) must not share the
// partitions and race on a user's state. It waits as a standby and takes over when the leader
// is gone.

const why = (await kafkaToolsAvailable()) ?? redisUnavailable();
const skip = why ? missingService('Kafka and Redis', why) === 'skip' : false;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `check` holds; fails after `ms` with what it waited for. */
async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  ms = 30_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(10);
  }
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe.skipIf(skip)('the processor lease', () => {
  let redis: RedisServer;
  let client: Redis;
  const leases: ProcessorLease[] = [];
  const lease = (groupId: string, leaseMs: number, onLost?: (error: Error) => void) => {
    const made = startProcessorLease({ redis: redis.url, groupId, leaseMs, onLost });
    leases.push(made);
    return made;
  };

  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url);
  });
  afterAll(async () => {
    await Promise.all(leases.map((made) => made.release()));
    client?.disconnect();
    await redis?.stop();
  });

  it('lets one process lead; the next leads as soon as the first releases it', async () => {
    const first = lease('turns', 60_000);
    await first.acquired;
    const second = lease('turns', 60_000);
    await sleep(100);
    expect([first.state(), first.held(), second.state(), second.held()]).toEqual([
      'leader',
      true,
      'standby',
      false,
    ]);
    expect(await client.get('pulse:processor-lease:turns')).toBe(first.token);
    await first.release();
    // Within a second of polling, not the minute of the lease.
    await second.acquired;
    expect([first.state(), second.state(), second.held()]).toEqual(['released', 'leader', true]);
    expect(await client.get('pulse:processor-lease:turns')).toBe(second.token);
  });

  it("waits for the lease of another host's process to expire", async () => {
    await client.set('pulse:processor-lease:other-host', 'elsewhere:1:abcd', 'PX', 3_000);
    const standby = lease('other-host', 400);
    await sleep(600);
    expect(standby.state()).toBe('standby');
    await standby.acquired;
    expect(standby.state()).toBe('leader');
    expect(await client.get('pulse:processor-lease:other-host')).toBe(standby.token);
  });

  it('takes the lease of a process of this host that died, without waiting for the expiry', async () => {
    // The token's first part: this host and pid namespace (the leader's own token shows it).
    const mine = lease('probe', 60_000);
    await mine.acquired;
    const home = mine.token.split(':')[0];
    expect(home).toMatch(new RegExp(`^${hostname()}(/\\d+)?$`));
    const dead = `${home}:${await deadPid()}:dead`;
    await client.set('pulse:processor-lease:restarted', dead, 'PX', 600_000);
    const restarted = lease('restarted', 600_000);
    await restarted.acquired;
    expect(await client.get('pulse:processor-lease:restarted')).toBe(restarted.token);
  });

  it('waits for a lease of this host name in another pid namespace (another container)', async () => {
    const elsewhere = `${hostname()}/1:${await deadPid()}:container`;
    await client.set('pulse:processor-lease:container', elsewhere, 'PX', 3_000);
    const standby = lease('container', 60_000);
    await sleep(500);
    expect(standby.state()).toBe('standby');
    await standby.acquired;
    expect(await client.get('pulse:processor-lease:container')).toBe(standby.token);
  });

  it('says the lease is lost once another process holds it, and holds nothing from then on', async () => {
    const lost: Error[] = [];
    const leader = lease('taken', 400, (error) => lost.push(error));
    await leader.acquired;
    await client.set('pulse:processor-lease:taken', 'elsewhere:1:new', 'PX', 60_000);
    await until('the lease found lost', () => lost.length > 0);
    expect(lost.map((error) => error.message)).toEqual([
      'processor lease pulse:processor-lease:taken lost: it expired and is gone or held by another process',
    ]);
    expect([leader.state(), leader.held()]).toEqual(['lost', false]);
    await leader.release();
    // Its release leaves the other process's lease alone.
    expect(await client.get('pulse:processor-lease:taken')).toBe('elsewhere:1:new');
  });
});

describe.skipIf(skip)('two processors of one group (separate processes)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-lease-'));
  let broker: KafkaBroker;
  let redis: RedisServer;
  let sink: KafkaSink;
  let store: StateStore;
  let services: ScaleServices;

  beforeAll(async () => {
    services = await startScaleServices();
    ({ broker, redis, sink, store } = services);
  });
  afterAll(async () => {
    await services?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the second waits as a standby, processes nothing, and takes over when the first dies', async () => {
    const customer = 'lease_pair';
    await store.putDefinition(customer, PRICING_FANS);
    const base = Date.now() - 600_000;
    /** Three pricing views for each visitor: each enters the segment once. */
    const wave = (from: number, visitors: number): PulseEvent[] =>
      Array.from({ length: visitors * 3 }, (_, i) =>
        pageView({
          event_id: `e${from + i}`,
          customer_id: customer,
          visitor_id: `v${from + Math.floor(i / 3)}`,
          path: '/pricing',
          at: new Date(base + (from + i) * 10).toISOString(),
        }),
      );
    const send = (events: PulseEvent[]) =>
      sink.write({ customer_id: customer, events, dead_letters: [] });
    // Each with its own chdb (one process per directory); the state is the shared Redis.
    const options = (name: string) => ({
      dataDir: join(dir, name),
      brokers: broker.brokers,
      redisUrl: redis.url,
      groupId: 'lease-pair',
      env: { PULSE_PROCESSOR_LEASE_MS: '3000' },
    });
    const first = processorChild(options('first'));
    const second = processorChild(options('second'));
    const admin = new Kafka({ brokers: [broker.brokers], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await first.start();
      await second.start();
      const before = wave(0, 100);
      await send(before);
      await first.waitFor(`${customer}/${before.at(-1)!.event_id}`);
      await until('every event of the first wave processed', () =>
        before.every((event) => first.processed.has(`${customer}/${event.event_id}`)),
      );
      expect(second.processed.size).toBe(0);
      const group = await admin.describeGroups(['lease-pair']);
      expect(group.groups[0]?.members).toHaveLength(1);

      await first.kill9();
      const after = wave(300, 100);
      await send(after);
      await until(
        'the standby processed the second wave',
        () => after.every((event) => second.processed.has(`${customer}/${event.event_id}`)),
        60_000,
      );
    } finally {
      await admin.disconnect();
      await first.stop();
      await second.stop();
    }
    const members = await allMembers(store, customer, PRICING_FANS.id);
    expect(members.sort()).toEqual(
      Array.from({ length: 100 }, (_, v) => [`v${v}`, `v${300 + v}`])
        .flat()
        .sort(),
    );
  });

  it("applies a parent's tick once it leads, not while it waits for the lease", async () => {
    // A restarted processor is ready before it holds the lease: a tick sent then waits.
    const key = 'pulse:processor-lease:lease-ticks';
    const admin = new Redis(redis.url);
    await admin.set(key, 'elsewhere:1:other', 'PX', 600_000);
    const child = processorChild({
      dataDir: join(dir, 'ticks'),
      brokers: broker.brokers,
      redisUrl: redis.url,
      groupId: 'lease-ticks',
      env: { PULSE_PROCESSOR_LEASE_MS: '3000' },
    });
    try {
      await child.start();
      const ticked = child.tick(Date.now());
      let settled = false;
      void ticked.then(
        () => (settled = true),
        () => (settled = true),
      );
      await sleep(1_500);
      expect(settled).toBe(false);
      await admin.del(key);
      await expect(ticked).resolves.toEqual([]);
    } finally {
      admin.disconnect();
      await child.stop();
    }
  });

  it('goes back to standby when its lease is lost, and leads again once it is free', async () => {
    const customer = 'lease_cycle';
    const seen = new Set<string>();
    const backend = await startBackend({
      dataDir: join(dir, 'cycle'),
      port: 0,
      ingestSecret: 'lease',
      kafkaBrokers: [broker.brokers],
      redisUrl: redis.url,
      groupId: 'lease-cycle',
      roles: { ingest: false },
      tickMs: 0,
      ttl: false,
      sessionTimeoutMs: 6_000,
      processorLeaseMs: 4_000,
      onError: () => undefined,
      onBatch: (batch) => batch.eventKeys.forEach((key) => seen.add(key)),
    });
    const event = (id: string) =>
      pageView({
        event_id: id,
        customer_id: customer,
        visitor_id: 'v1',
        path: '/',
        at: new Date().toISOString(),
      });
    const key = 'pulse:processor-lease:lease-cycle';
    const admin = new Redis(redis.url);
    try {
      await sink.write({ customer_id: customer, events: [event('c1')], dead_letters: [] });
      await until('the leader processed c1', () => seen.has(`${customer}/c1`));
      const leading = async () =>
        (await backend.metrics.registry.getSingleMetric('pulse_processor_leading')?.get())
          ?.values[0]?.value;
      // Leading: 1 while Redis confirmed the lease within half a lease (a renewal a second).
      await until('the gauge says it leads', async () => (await leading()) === 1);
      // Another process holds the lease now (as after Redis was out of reach past the lease).
      await admin.set(key, 'elsewhere:1:other', 'PX', 600_000);
      await until('back to standby', () => backend.status().consumer?.standby === true);
      expect(await leading()).toBe(0);
      // Nothing else of this process changes the state either (a backfill's slice, a tick).
      await expect(backend.processor.process([event('c9')])).rejects.toThrow(
        /processor lease not held \(standby\)/,
      );
      await expect(backend.processor.tick(Date.now())).rejects.toThrow(/lease not held/);
      await sink.write({ customer_id: customer, events: [event('c2')], dead_letters: [] });
      await sleep(1_500);
      expect(seen.has(`${customer}/c2`)).toBe(false);
      await admin.del(key);
      await until('leading again, c2 processed', () => seen.has(`${customer}/c2`), 60_000);
      expect(seen.has(`${customer}/c9`)).toBe(false);
      expect(backend.status().consumer?.standby).toBeUndefined();
      await until('the gauge says it leads again', async () => (await leading()) === 1);
    } finally {
      admin.disconnect();
      await backend.stop();
    }
  });
});
