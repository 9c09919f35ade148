import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PulseEvent, SegmentChange } from '@pulse/contract';
import { Kafka, logLevel } from 'kafkajs';
import { EVENT_TYPES } from '@pulse/contract';
import { TOPICS } from '../../backend/src/kafka/topics';
import type { KafkaSink } from '../../backend/src/sinks/kafka-sink';
import type { StateStore } from '../../backend/src/state/state-store';
import { createWarehouse } from '../../backend/src/warehouse/create-warehouse';
import { missingService } from '../services/free-port';
import { kafkaToolsAvailable, type KafkaBroker } from '../services/kafka/broker';
import { redisUnavailable, type RedisServer } from '../services/redis';
import { loadVectors } from '../vectors/load';
import { allMembers, pageView, PRICING_FANS } from '../fixtures/processing';
import { feedVector, scopeVector, verifyState, verifyWarehouse } from './check-vector';
import { startScaleServices, type ScaleServices } from './scale-services';
import { processorChild } from './processor-child';

const why = (await kafkaToolsAvailable()) ?? redisUnavailable();
const skip = why ? missingService('Kafka and Redis', why) === 'skip' : false;

/** `pulse.segments` is at least once: a replayed batch publishes its changes again, same key. */
const distinctChanges = (changes: SegmentChange[]) => {
  const seen = new Set<string>();
  return changes.filter((change) => {
    const key = JSON.stringify([
      change.customer_id,
      change.segment_id,
      change.id,
      change.change,
      change.at,
    ]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `kill -9` the processor (a separate process: Kafka consumer, Redis state, chdb warehouse) in
 * the middle of a stream, start it again, and the final state is exact: nothing lost, nothing
 * counted twice.
 */
describe.skipIf(skip)('processor restart safety (kill -9)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-restart-'));
  let broker: KafkaBroker;
  let redis: RedisServer;
  let sink: KafkaSink;
  let store: StateStore;
  let services: ScaleServices;

  /** Resolves once the group has committed offsets up to the end of every event topic. */
  const waitForCommitted = async (groupId: string) => {
    const admin = new Kafka({ brokers: [broker.brokers], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const topics = EVENT_TYPES.map(TOPICS.events);
      const until = Date.now() + 60_000;
      for (;;) {
        const ends = await Promise.all(topics.map((topic) => admin.fetchTopicOffsets(topic)));
        const committed = await admin.fetchOffsets({ groupId, topics });
        const behind = topics.some((topic, i) =>
          (ends[i] ?? []).some((end) => {
            const group = committed
              .find((c) => c.topic === topic)
              ?.partitions.find((p) => p.partition === end.partition);
            const at = group && group.offset !== '-1' ? BigInt(group.offset) : 0n;
            return at < BigInt(end.offset);
          }),
        );
        if (!behind) return;
        if (Date.now() > until) throw new Error(`group ${groupId} did not catch up within 60 s`);
        await sleep(20);
      }
    } finally {
      await admin.disconnect();
    }
  };

  beforeAll(async () => {
    services = await startScaleServices();
    ({ broker, redis, sink, store } = services);
  });
  afterAll(async () => {
    await services?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('kill -9 twice in a 19,000-event stream: every event counted once, memberships exact', async () => {
    const customer = 'restart_bulk';
    await store.putDefinition(customer, PRICING_FANS);
    const base = Date.now() - 600_000;
    const events: PulseEvent[] = [];
    const pricingViews = new Map<string, number>();
    for (let v = 0; v < 2000; v++) {
      const visitor = `v${v}`;
      const paths = [
        ...Array.from({ length: v % 6 }, () => '/pricing'),
        ...Array.from({ length: 7 }, (_, i) => `/p${i}`),
      ];
      pricingViews.set(visitor, v % 6);
      for (const path of paths) {
        const at = new Date(base + events.length * 13).toISOString();
        events.push(
          pageView({
            event_id: `bulk-${events.length}`,
            customer_id: customer,
            visitor_id: visitor,
            session_id: `s${v}`,
            path,
            at,
          }),
        );
      }
    }
    // Every 20th event is sent again later, as an SDK resend would be (new received_at).
    const resends = events
      .filter((_, i) => i % 20 === 0)
      .map((event) => ({
        ...event,
        received_at: new Date(Date.parse(event.received_at) + 5).toISOString(),
      }));
    const stream = [...events, ...resends];
    for (let i = 0; i < stream.length; i += 500) {
      await sink.write({
        customer_id: customer,
        events: stream.slice(i, i + 500),
        dead_letters: [],
      });
    }

    const child = processorChild({
      dataDir: dir,
      brokers: broker.brokers,
      redisUrl: redis.url,
      groupId: 'restart-bulk',
    });
    const distinctProcessed = () =>
      [...child.processed.keys()].filter((key) => key.startsWith(`${customer}/`)).length;
    const waitForShare = async (share: number) => {
      const until = Date.now() + 120_000;
      while (distinctProcessed() < events.length * share) {
        if (Date.now() > until)
          throw new Error(`stuck at ${distinctProcessed()} of ${events.length}`);
        await sleep(20);
      }
    };
    try {
      await child.start();
      await waitForShare(0.25);
      await child.kill9();
      await child.start();
      await waitForShare(0.6);
      await child.kill9();
      await child.start();
      await waitForShare(1);
    } finally {
      await child.stop();
    }

    console.log(`[restart] bulk: ${events.length} events and ${resends.length} resends, 2 kills`);

    const warehouse = await createWarehouse({ path: join(dir, 'warehouse'), ttl: false });
    try {
      expect(await warehouse.eventCount(customer)).toBe(events.length);
      const minutes = await warehouse.rollups(
        customer,
        new Date(0),
        new Date(Date.now() + 3600_000),
      );
      const sum = (pick: (m: (typeof minutes)[number]) => Record<string, number>) =>
        minutes.reduce((total, m) => total + Object.values(pick(m)).reduce((a, b) => a + b, 0), 0);
      expect(sum((m) => m.events)).toBe(events.length);
      expect(sum((m) => m.pages)).toBe(events.length);
      expect(sum((m) => ({ pricing: m.pages['/pricing'] ?? 0 }))).toBe(
        [...pricingViews.values()].reduce((a, b) => a + b, 0),
      );

      const expected = [...pricingViews]
        .filter(([, n]) => n >= 3)
        .map(([visitor]) => visitor)
        .sort();
      const members = await allMembers(store, customer, PRICING_FANS.id);
      expect(members.sort()).toEqual(expected);

      const stored = await warehouse.segmentChanges(customer);
      expect(stored.every((change) => change.change === 'enter')).toBe(true);
      expect(stored.map((change) => change.id).sort()).toEqual(expected);
      const published = distinctChanges(child.changes).filter(
        (change) => change.customer_id === customer,
      );
      expect(published.map((change) => change.id).sort()).toEqual(expected);
    } finally {
      await warehouse.close();
    }
  });

  it('kill -9 at points in the middle of every vector: the final state equals every expectation', async () => {
    const vectors = loadVectors().map((vector, i) => scopeVector(vector, `restart${i}`));
    const child = processorChild({
      dataDir: dir,
      brokers: broker.brokers,
      redisUrl: redis.url,
      groupId: 'restart-vectors',
    });
    const total = vectors.reduce((n, v) => n + v.input.filter((item) => 'event' in item).length, 0);
    // Four kills spread over the stream, each a few ms after an event was handed to Kafka.
    const killAt = new Set([0.15, 0.4, 0.65, 0.9].map((share) => Math.floor(total * share)));
    let fed = 0;
    // Where each vector's feeding ended in the processor's change log.
    const endedAt = new Map<string, number>();
    let kills = 0;
    await child.start();
    try {
      for (const vector of vectors) {
        const changes = await feedVector(
          {
            store,
            feed: async (item) => {
              const before = child.changes.length;
              if ('tick' in item) {
                await child.tick(item.tick);
              } else {
                await sink.write({
                  customer_id: item.event.customer_id,
                  events: [item.event],
                  dead_letters: [],
                });
                if (killAt.has(fed++)) {
                  await sleep(fed % 25);
                  await child.kill9();
                  kills += 1;
                  await child.start();
                }
                await child.waitFor(`${item.event.customer_id}/${item.event.event_id}`);
              }
              return child.changes.slice(before);
            },
          },
          vector,
        );
        // The batch log is written before the state commit: read the state once the group's
        // offsets (committed after the state) have caught up with everything produced.
        await waitForCommitted('restart-vectors');
        await verifyState(store, vector, distinctChanges(changes));
        endedAt.set(vector.name, child.changes.length);
      }
    } finally {
      await child.stop();
    }

    expect(kills).toBe(killAt.size);
    console.log(`[restart] vectors: ${vectors.length} vectors, ${total} events, ${kills} kills`);
    const warehouse = await createWarehouse({ path: join(dir, 'warehouse'), ttl: false });
    try {
      for (const vector of vectors) {
        const customers = new Set(Object.keys(vector.segments));
        const later = distinctChanges(child.changes.slice(endedAt.get(vector.name))).filter(
          (change) => customers.has(change.customer_id),
        );
        await verifyWarehouse(warehouse, vector, later);
      }
    } finally {
      await warehouse.close();
    }
  }, 400_000);
});
