import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PulseEvent, SegmentDefinition } from '@pulse/contract';
import type { KafkaSink } from '../../backend/src/sinks/kafka-sink';
import type { StateStore } from '../../backend/src/state/state-store';
import { startBackend, type Backend } from '../../backend/src/start-backend';
import { allMembers, pageView, PRICING_FANS } from '../fixtures/processing';
import { freePort, missingService, waitUntil } from '../services/free-port';
import { kafkaToolsAvailable, type KafkaBroker } from '../services/kafka/broker';
import { redisUnavailable, type RedisServer } from '../services/redis';
import { startScaleServices, type ScaleServices } from './scale-services';
import { processorChild, type ProcessorChild } from './processor-child';

// Segment writes and profile deletions change the engine's state: a backfill replays history
// through the processor. In the deployed shape the API is served by ingest tasks and the
// processor runs in a task of its own; the ingest task must hand the work to the processor, not
// do it through a processor of its own beside the leader's batches (a race on the same
// profiles' state).

const why = (await kafkaToolsAvailable()) ?? redisUnavailable();
const skip = why ? missingService('Kafka and Redis', why) === 'skip' : false;

/** Resolves once `check` holds; fails after a minute with what it waited for. */
const until = (what: string, check: () => boolean | Promise<boolean>) =>
  waitUntil(what, async () => check(), 60_000);

const CUSTOMER = 'handoff';
const SECRET = 'sk_handoff';
/** How long the ingest process waits for the processor (long enough for a loaded CI machine). */
const WAIT_MS = 20_000;

describe.skipIf(skip)(
  'API calls that change state, from an ingest process (separate processor process)',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-handoff-'));
    let broker: KafkaBroker;
    let redis: RedisServer;
    let sink: KafkaSink;
    let store: StateStore;
    let services: ScaleServices;
    let processor: ProcessorChild;
    /** A second processor of the group, started after the first: a standby while it runs. */
    let standby: ProcessorChild;
    let ingest: Backend;
    /** Events the ingest process's own processor handled: none may be. */
    const processedByIngest: string[] = [];

    const call = async (method: string, path: string, body?: unknown, url = ingest.url) => {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${SECRET}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return {
        status: res.status,
        body: text ? (JSON.parse(text) as Record<string, unknown>) : null,
      };
    };

    beforeAll(async () => {
      services = await startScaleServices();
      ({ broker, redis, sink, store } = services);
      const child = (name: string) =>
        processorChild({
          dataDir: join(dir, name),
          brokers: broker.brokers,
          redisUrl: redis.url,
          groupId: 'handoff',
          env: { PULSE_PROCESSOR_LEASE_MS: '3000' },
        });
      processor = child('processor');
      standby = child('standby');
      await processor.start();
      // The first holds the lease before the second starts: the second is the standby.
      const leaseKey = 'pulse:processor-lease:handoff';
      const client = new Redis(redis.url);
      try {
        await until('the first processor leads', async () => (await client.exists(leaseKey)) === 1);
      } finally {
        client.disconnect();
      }
      await standby.start();
      // The segment API's process: ingest only, with a warehouse of its own (as another task's
      // would be a ClickHouse server's, here an empty chdb: only the processor's holds the events).
      ingest = await startBackend({
        dataDir: join(dir, 'ingest'),
        port: 0,
        ingestSecret: 'handoff',
        kafkaBrokers: [broker.brokers],
        redisUrl: redis.url,
        groupId: 'handoff',
        roles: { ingest: true, processor: false },
        apiKeys: { [SECRET]: CUSTOMER },
        tickMs: 0,
        ttl: false,
        handoffTimeoutMs: WAIT_MS,
        onError: () => undefined,
        onBatch: (batch) => processedByIngest.push(...batch.eventKeys),
      });
    });
    afterAll(async () => {
      await ingest?.stop();
      await standby?.stop();
      await processor?.stop();
      await services?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    /** Three pricing views for each of `visitors` visitors from `from`. */
    const views = (from: number, visitors: number): PulseEvent[] => {
      const base = Date.now() - 600_000;
      return Array.from({ length: visitors * 3 }, (_, i) =>
        pageView({
          event_id: `e${from + i}`,
          customer_id: CUSTOMER,
          visitor_id: `v${from + Math.floor(i / 3)}`,
          path: '/pricing',
          at: new Date(base + (from + i) * 10).toISOString(),
        }),
      );
    };
    const processed = async (events: PulseEvent[]) => {
      await sink.write({ customer_id: CUSTOMER, events, dead_letters: [] });
      await until('the processor processed every event', () =>
        events.every((event) => processor.processed.has(`${CUSTOMER}/${event.event_id}`)),
      );
    };

    it('the processor replays the history of a new segment, redefines and deletes it, and deletes a person', async () => {
      const history = views(0, 10);
      await processed(history);

      const created = await call('POST', '/v1/segments', PRICING_FANS);
      expect(created.status).toBe(201);
      expect(created.body?.backfill).toMatchObject({
        events_scanned: 30,
        events_replayed: 30,
        members: 10,
        exited: 0,
      });
      // Replayed by the processor (each event in a second batch there), none by the ingest
      // process or the standby.
      for (const event of history)
        expect(processor.processed.get(`${CUSTOMER}/${event.event_id}`)).toBe(2);
      expect(processedByIngest).toEqual([]);
      expect(standby.processed.size).toBe(0);
      const expected = Array.from({ length: 10 }, (_, v) => `v${v}`).sort();
      expect((await allMembers(store, CUSTOMER, PRICING_FANS.id)).sort()).toEqual(expected);
      const entered = processor.changes.filter(
        (change) => change.segment_id === PRICING_FANS.id && change.change === 'enter',
      );
      expect(entered.map((change) => change.id).sort()).toEqual(expected);

      // A rule no one meets: everyone exits, announced by the processor.
      const stricter: SegmentDefinition = {
        ...PRICING_FANS,
        rule: { ...PRICING_FANS.rule, min_count: 4 },
      };
      const redefined = await call('PUT', `/v1/segments/${PRICING_FANS.id}`, stricter);
      expect(redefined.status).toBe(200);
      expect(redefined.body?.backfill).toMatchObject({
        events_replayed: 30,
        members: 0,
        exited: 10,
      });
      await until('the exits announced', () =>
        processor.changes.some((change) => change.change === 'exit'),
      );
      const exited = processor.changes.filter((change) => change.change === 'exit');
      expect(exited.map((change) => [change.id, change.reason]).sort()).toEqual(
        expected.map((id) => [id, 'redefined']),
      );

      const deleted = await call('DELETE', `/v1/segments/${PRICING_FANS.id}`);
      expect(deleted.status).toBe(204);
      const [definitions = []] = await store.definitions([CUSTOMER]);
      expect(definitions).toEqual([]);
      expect(processedByIngest).toEqual([]);
      expect(standby.processed.size).toBe(0);

      // A person deleted through the ingest process: by the processor, from its warehouse too.
      const gone = await call('DELETE', '/v1/profiles/v0');
      expect(gone).toEqual({
        status: 200,
        body: { deleted: { id: 'v0', ids: ['v0'], events: 3 } },
      });
      expect((await call('GET', '/v1/profiles/v0')).status).toBe(404);
      // (The next test needs no processor running.)
      await standby.stop();
    });

    it('answers 503 while no processor runs, and the processor finishes the write once it does', async () => {
      const history = views(100, 4);
      await processed(history);
      await processor.stop();
      const later: SegmentDefinition = { ...PRICING_FANS, id: 'later_fans' };
      const refused = await call('POST', '/v1/segments', later);
      expect(refused.status).toBe(503);
      expect(refused.body?.error).toMatchObject({ code: 'unavailable' });
      expect(String((refused.body?.error as { message: string }).message)).toMatch(
        /no processor took the write of segment later_fans within 20 s/,
      );
      // Stored and recorded as unfinished: the processor fills it when it runs again.
      await processor.start();
      // Everyone with three pricing views: this test's visitors and the first test's (but v0,
      // deleted with its events).
      const members = [
        ...Array.from({ length: 9 }, (_, v) => `v${v + 1}`),
        ...Array.from({ length: 4 }, (_, v) => `v${100 + v}`),
      ].sort();
      await until('the processor filled the segment', async () => {
        const now = await allMembers(store, CUSTOMER, later.id);
        return members.every((id) => now.includes(id));
      });
      expect((await allMembers(store, CUSTOMER, later.id)).sort()).toEqual(members);
      expect(processedByIngest).toEqual([]);
    });
    it('a standby that asked before it led does the write itself once it leads', async () => {
      // A backend with ingest and the processor whose processor waits on another's lease: its
      // API hands the write over, and takes it itself once it leads (its call holds the
      // customer's queue of segment writes, which the work must not wait in again).
      const key = 'pulse:processor-lease:handoff-self';
      const client = new Redis(redis.url);
      await client.set(key, 'elsewhere:1:other', 'PX', 600_000);
      // (A process of its own: one chdb per process.)
      const port = await freePort();
      const both = processorChild({
        dataDir: join(dir, 'both'),
        brokers: broker.brokers,
        redisUrl: redis.url,
        groupId: 'handoff-self',
        roles: 'ingest,processor',
        ingestPort: port,
        // A customer of its own: this group reads the other tests' events too.
        env: { PULSE_API_KEYS: JSON.stringify({ [SECRET]: 'handoff_self' }) },
      });
      await both.start();
      const bothUrl = `http://127.0.0.1:${port}`;
      try {
        const self: SegmentDefinition = { ...PRICING_FANS, id: 'self_fans' };
        const created = call('POST', '/v1/segments', self, bothUrl);
        await until(
          'the write handed over',
          async () => (await client.llen('pulse:handoff:handoff-self')) === 1,
        );
        await client.del(key);
        const answer = await created;
        expect(answer.status).toBe(201);
        expect(answer.body?.backfill).toMatchObject({ events_scanned: 0, members: 0 });
      } finally {
        client.disconnect();
        await both.stop();
      }
    });
  },
);
