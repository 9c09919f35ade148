import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userHashOf } from '@pulse/contract';
import {
  segmentsOf,
  startFlinkJob,
  type JavaProcess,
  buildFlinkJar,
} from '../../backend/src/flink/flink-job';
import { startBackend, type Backend, type BackendConfig } from '../../backend/src/start-backend';
import { createTriggerStore } from '../../backend/src/triggers/trigger-store';
import { startNodeEdge, type NodeEdge } from '../../edge/src/adapters/node';
import { createMemoryConfigStore } from '../../edge/src/config/memory-config-store';
import { createHttpDecideBackend } from '../../edge/src/routes/decide-backend';
import { createHttpIngestSink } from '../../edge/src/sinks/http-ingest-sink';
import { PRICING_FANS } from '../fixtures/processing';
import { missingService, waitUntil } from '../services/free-port';
import { readTopics } from '../../backend/test/kafka-fixtures';
import { TOPICS } from '../../backend/src/kafka/topics';
import { UNFINISHED_WRITE_KIND } from '../../backend/src/api/segments/segment-writes';
import { kafkaToolsAvailable, startKafka, type KafkaBroker } from '../services/kafka/broker';
import { redisUnavailable, startRedis, type RedisServer } from '../services/redis';

const why = (await kafkaToolsAvailable()) ?? redisUnavailable();
const skip = why
  ? missingService('Java, Maven and Redis (Kafka, the Flink job, the state)', why) === 'skip'
  : false;

const CUSTOMER = 'cust_engines';
const KEY = 'pk_engines';
const SECRET_KEY = 'sk_engines';
const IDENTITY_SECRET = 'engines-identity-secret';
const INGEST_SECRET = 'engines-ingest-secret';

/** One deployment: a backend with its engine, and a Node edge in front of it. */
interface Deployment {
  name: string;
  backend: Backend;
  edge: NodeEdge;
}

/**
 * The same traffic through two deployments, one processed by the TypeScript processor (the
 * embedded default) and one by the Flink job with its outputs loaded into Redis and chdb
 * (`engine: 'flink'`, flink-loader.ts): every answer a user sees (decide through the edge, the
 * profile and segment APIs, the dashboard's GraphQL, the stored changes and links) is the same.
 * The traffic is the playground's story (views of /pricing, a login) plus a user merged into
 * another by alias, in three phases. chdb holds one data directory per process, so the two
 * deployments run one after the other: the TS one first, whose state after each phase the Flink
 * one must reach before its next phase (so both see the same order), then the answers of both.
 */
describe.skipIf(skip)('the Flink engine answers as the TypeScript processor does', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-engines-'));
  let broker: KafkaBroker;
  let redis: RedisServer;
  let job: JavaProcess | undefined;
  let running: Deployment | undefined;

  const deploy = async (
    name: string,
    services: Pick<
      BackendConfig,
      'kafkaBrokers' | 'redisUrl' | 'engine' | 'definitionTimeoutMs' | 'finishSegmentWritesEveryMs'
    >,
    { seed = true } = {},
  ): Promise<Deployment> => {
    const backend = await startBackend({
      dataDir: join(dir, name),
      port: 0,
      ingestSecret: INGEST_SECRET,
      apiKeys: { [SECRET_KEY]: CUSTOMER },
      // No wall-clock ticks on either side: each customer's clock is its events' (a tick landing
      // before or after a phase would move the changes' times, differently on each run).
      tickMs: 0,
      ...services,
    });
    // A deployment started again keeps what its stores hold.
    if (seed) {
      await backend.store.putDefinition(CUSTOMER, PRICING_FANS);
      const now = new Date().toISOString();
      await createTriggerStore(backend.store).put(CUSTOMER, {
        id: 'pricing_offer',
        segment_id: 'pricing_fans',
        on: 'enter',
        action: { type: 'client', name: 'show_offer', payload: { discount: 20 } },
        created_at: now,
        updated_at: now,
      });
    }
    const edge = await startNodeEdge({
      config: createMemoryConfigStore({
        [KEY]: {
          customer_id: CUSTOMER,
          allowed_origins: ['*'],
          rate: { per_second: 10_000, burst: 10_000 },
          routing: 'new',
          identity_secret: IDENTITY_SECRET,
        },
      }),
      sink: createHttpIngestSink({ url: `${backend.url}/internal/ingest`, secret: INGEST_SECRET }),
      decide: createHttpDecideBackend({ baseUrl: backend.url!, secret: INGEST_SECRET }),
      ipSaltSecret: 'engines',
    });
    running = { name, backend, edge };
    return running;
  };
  const undeploy = async () => {
    await job?.stop();
    job = undefined;
    await running?.edge.close();
    await running?.backend.stop();
    running = undefined;
  };

  beforeAll(async () => {
    await buildFlinkJar({ offline: true });
    [broker, redis] = await Promise.all([startKafka(), startRedis()]);
  });

  afterAll(async () => {
    await undeploy();
    await Promise.all([broker?.stop(), redis?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const START = Date.now() - 60_000;
  const at = (offsetMs: number) => new Date(START + offsetMs).toISOString();
  const view = (visitor: string, path: string, offsetMs: number) => ({
    event_id: randomUUID(),
    visitor_id: visitor,
    event_type: 'page_view',
    event_name: path,
    properties: { path },
    timestamp: at(offsetMs),
  });
  const identify = (visitor: string, user: string, offsetMs: number) => ({
    event_id: randomUUID(),
    visitor_id: visitor,
    user_id: user,
    event_type: 'identify',
    event_name: 'identify',
    properties: {},
    timestamp: at(offsetMs),
  });
  /**
   * The same events (same ids and times) for both deployments, in four phases. The events of a
   * phase share one time: Kafka orders only each visitor's events, and a change's time is the
   * customer's clock when it happens, so with times apart inside a phase the changes' times
   * would follow the interleaving of visitors, which differs between the engines and runs.
   */
  const PHASES: Phase[] = [
    // Anonymous views: v1, v3 and v5 view /pricing three times (members), v2 twice.
    [
      ...['v1', 'v3', 'v5'].flatMap((visitor) =>
        [0, 1, 2].map(() => view(visitor, '/pricing', 1000)),
      ),
      ...[0, 1].map(() => view('v2', '/pricing', 1000)),
      view('v2', '/docs', 1000),
    ],
    // v1 logs in as user-42, v5 as user-7: their memberships move to the users. v3 views
    // /pricing three times more: no change, but its membership now ends later (only
    // `pulse.memberships` carries that, and the profile API shows it).
    [
      identify('v1', 'user-42', 10_000),
      identify('v5', 'user-7', 10_000),
      ...[0, 1, 2].map(() => view('v3', '/pricing', 10_000)),
    ],
    // user-7 turns out to be user-8 (alias): user-7's membership is merged into user-8.
    [
      {
        event_id: randomUUID(),
        visitor_id: 'v5',
        user_id: 'user-8',
        previous_id: 'user-7',
        event_type: 'alias',
        event_name: 'alias',
        properties: {},
        timestamp: at(20_000),
      },
    ],
  ].map((events) => ({ events }));
  // user-42 is deleted through the profile API; then v1, its device, views /pricing once more.
  // Both engines must have forgotten v1's three earlier views: v1 is a new visitor, no member.
  PHASES.push({ deletes: 'user-42', events: [view('v1', '/pricing', 30_000)] });

  interface Phase {
    /** A profile deleted through the profile API before the phase's events are sent. */
    deletes?: string;
    events: Array<Record<string, unknown>>;
  }

  const send = async ({ name, edge }: Deployment, events: Array<Record<string, unknown>>) => {
    const res = await fetch(`${edge.url}/v1/events?key=${KEY}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // No sent_at: the edge then keeps each timestamp as sent, so both sides get the same
      // event times (a sent_at would correct them by each request's own delay).
      body: JSON.stringify({ events }),
    });
    expect(res.status, `${name}: ${await res.clone().text()}`).toBe(200);
  };

  /** What the state and the warehouse hold after a phase (order-free). */
  const snapshot = async ({ backend }: Deployment) => {
    const [events, changes, members] = await Promise.all([
      backend.warehouse.eventCount(CUSTOMER),
      backend.warehouse.segmentChanges(CUSTOMER),
      backend.store.members(CUSTOMER, 'pricing_fans', null, 1000),
    ]);
    return {
      events,
      changes: changes.map((c) => `${c.segment_id} ${c.id} ${c.change} ${c.reason} ${c.at}`).sort(),
      members: [...members.ids].sort(),
    };
  };
  type Snapshot = Awaited<ReturnType<typeof snapshot>>;

  const api = async ({ backend }: Deployment, path: string, init: RequestInit = {}) => {
    const res = await fetch(`${backend.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${SECRET_KEY}`, 'content-type': 'application/json' },
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as unknown };
  };
  const decide = async ({ edge }: Deployment, visitor: string, user?: string) => {
    const proof = user
      ? `&user_id=${user}&user_hash=${await userHashOf(IDENTITY_SECRET, user)}`
      : '';
    const res = await fetch(`${edge.url}/v1/decide?key=${KEY}&visitor_id=${visitor}${proof}`);
    return { status: res.status, body: (await res.json()) as unknown };
  };

  const deleteProfile = async (d: Deployment, id: string) => {
    const deleted = await api(d, `/v1/profiles/${id}`, { method: 'DELETE' });
    expect(deleted, `${d.name}: DELETE /v1/profiles/${id}`).toMatchObject({ status: 200 });
  };

  /**
   * Segment writes through the API after the phases, in order: a new segment filled from the
   * history of its window, a redefinition that keeps one member and drops another, a deletion.
   */
  const PRICING_TWICE = { id: 'pricing_twice', rule: { ...PRICING_FANS.rule, min_count: 2 } };
  const WRITES: Array<[string, string, unknown?]> = [
    ['POST', '/v1/segments', PRICING_TWICE],
    [
      'PUT',
      '/v1/segments/pricing_fans',
      { ...PRICING_FANS, rule: { ...PRICING_FANS.rule, min_count: 4 } },
    ],
    ['DELETE', '/v1/segments/pricing_twice'],
  ];
  /** What the segment writes leave: every stored change, and both segments' members. */
  const segmentState = async ({ backend }: Deployment) => {
    const [changes, fans, twice] = await Promise.all([
      backend.warehouse.segmentChanges(CUSTOMER),
      backend.store.members(CUSTOMER, 'pricing_fans', null, 1000),
      backend.store.members(CUSTOMER, 'pricing_twice', null, 1000),
    ]);
    return {
      changes: changes.map((c) => `${c.segment_id} ${c.id} ${c.change} ${c.reason} ${c.at}`).sort(),
      pricing_fans: [...fans.ids].sort(),
      pricing_twice: [...twice.ids].sort(),
    };
  };
  const write = (d: Deployment, [method, path, body]: [string, string, unknown?]) =>
    api(d, path, { method, body: body === undefined ? undefined : JSON.stringify(body) });

  /** Every answer a user sees at the end, keyed by what was asked. */
  const answers = async (d: Deployment) => {
    const found: Record<string, unknown> = {};
    for (const [visitor, user] of [['v1', 'user-42'], ['v3'], ['v2'], ['v1'], ['v5', 'user-8']])
      found[`decide ${visitor} ${user ?? ''}`] = await decide(d, visitor!, user);
    for (const id of ['user-42', 'v3', 'user-8', 'user-7', 'v5', 'v2']) {
      const read = await api(d, `/v1/profiles/${id}`);
      (read.body as { visitor_ids?: string[] }).visitor_ids?.sort();
      found[`profile ${id}`] = read;
    }
    // A page lists members in the store's order (LMDB and Redis differ), not the engine's.
    const members = await api(d, '/v1/segments/pricing_fans/members');
    (members.body as { members: string[] }).members.sort();
    found.members = members;
    const query = `query($from: DateTime!, $to: DateTime!) {
      summary(from: $from, to: $to) { events uniqueVisitors sessions pageViews }
      userCounts(from: $from, to: $to, limit: 20) { id identified count }
    }`;
    const variables = { from: at(-3_600_000), to: new Date(Date.now() + 60_000).toISOString() };
    const graphql = await api(d, '/graphql', {
      method: 'POST',
      body: JSON.stringify({ query, variables }),
    });
    const data = (graphql.body as { data: { userCounts: Array<{ id: string }> } }).data;
    data.userCounts.sort((a, b) => a.id.localeCompare(b.id));
    found.dashboard = graphql;
    return found;
  };

  it('gives the same segments, profiles, decisions and dashboard after views, a login, a merge and a deletion', async () => {
    // The TypeScript processor (the embedded default): the reference, phase by phase.
    const ts = await deploy('ts', {});
    const expected: Snapshot[] = [];
    for (const { deletes, events } of PHASES) {
      if (deletes) await deleteProfile(ts, deletes);
      await send(ts, events);
      await ts.backend.processor.idle();
      expected.push(await snapshot(ts));
    }
    const fromTs = await answers(ts);
    const writes: Array<{ answer: unknown; state: Awaited<ReturnType<typeof segmentState>> }> = [];
    for (const request of WRITES)
      writes.push({ answer: await write(ts, request), state: await segmentState(ts) });
    await undeploy();
    // The new segment is filled from the history: v3 (6 views of /pricing), user-8 (v5's 3)
    // and v2 (2); v1's one view since its deletion is not enough. With 4 views needed,
    // pricing_fans keeps v3, and user-8 exits (redefined).
    expect(writes.map(({ answer }) => answer)).toMatchObject([
      { status: 201, body: { backfill: { events_replayed: 12, members: 3, exited: 0 } } },
      { status: 200, body: { backfill: { members: 1, exited: 1 } } },
      { status: 204, body: null },
    ]);
    expect(writes[0]!.state.pricing_twice).toEqual(['user-8', 'v2', 'v3']);
    expect(writes[1]!.state.changes.filter((c) => c.includes(' redefined '))).toEqual([
      `pricing_fans user-8 exit redefined ${at(30_000)}`,
    ]);
    expect(writes[2]!.state.pricing_twice).toEqual([]);
    expect(expected.map((s) => s.members)).toEqual([
      ['v1', 'v3', 'v5'],
      ['user-42', 'user-7', 'v3'],
      ['user-42', 'user-8', 'v3'],
      ['user-8', 'v3'],
    ]);
    expect(expected[2]!.changes.filter((c) => c.includes(' merged '))).toHaveLength(3);
    expect(fromTs.dashboard).toMatchObject({
      // 18 events, less the 4 of user-42 (v1's three views and its login), plus v1's new view.
      body: { data: { summary: { events: 15, pageViews: 13 } } },
    });
    expect(fromTs['profile user-42']).toMatchObject({ status: 404 });
    expect(JSON.stringify(fromTs['decide v5 user-8'])).toContain('show_offer');
    expect(fromTs['decide v1 user-42']).toMatchObject({ body: { segments: [], actions: [] } });
    expect(fromTs['profile v3']).toMatchObject({
      body: { segments: [{ id: 'pricing_fans', until: at(10_000 + 7 * 86_400_000) }] },
    });

    // The Flink engine: Redis + chdb fed by the job's outputs through the loader.
    const flink = await deploy('flink', {
      kafkaBrokers: [broker.brokers],
      redisUrl: redis.url,
      engine: 'flink',
    });
    // The job reads the definitions at its start, as `npm run dev` with PULSE_ENGINE=flink does.
    job = startFlinkJob({
      brokers: [broker.brokers],
      segments: await segmentsOf(flink.backend.store),
      dir: join(dir, 'flink-job'),
      checkpointMs: 300,
      parallelism: 2,
      tickMs: 0,
    });
    for (const [i, { deletes, events }] of PHASES.entries()) {
      if (deletes) {
        await deleteProfile(flink, deletes);
        // The job has forgotten it once it ends the profile's memberships: only then may the
        // phase's events come (Kafka orders pulse.deletions and the events' topics apart).
        const ended = await readTopics(broker.brokers, [TOPICS.memberships], (records) =>
          records.some(({ value }) => value.id === deletes && value.until === null),
        );
        expect(
          ended.filter(({ value }) => value.id === deletes).map(({ value }) => value.until),
          `the job's membership ends of ${deletes}\n${job.log().slice(-3000)}`,
        ).toContain(null);
      }
      await send(flink, events);
      // The job commits its outputs at each checkpoint, and the loader reads them after.
      const deadline = Date.now() + 90_000;
      let seen = await snapshot(flink);
      while (JSON.stringify(seen) !== JSON.stringify(expected[i])) {
        if (!job.running()) throw new Error(`the Flink job exited:\n${job.log().slice(-3000)}`);
        if (Date.now() > deadline) {
          throw new Error(
            `phase ${i + 1}: the Flink side holds ${JSON.stringify(seen)}, the TS side held ${JSON.stringify(expected[i])}\n${job.log().slice(-3000)}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
        seen = await snapshot(flink);
      }
    }
    expect(await answers(flink)).toEqual(fromTs);

    // Segments written through the API reach the job's state: each write answers as the TS
    // processor's (the backfill's counts included), and leaves the same changes and members.
    for (const [i, request] of WRITES.entries()) {
      const answer = await write(flink, request);
      const asked = `${request[0]} ${request[1]}`;
      expect(answer, `${asked}\n${job.log().slice(-3000)}`).toEqual(writes[i]!.answer);
      const deadline = Date.now() + 90_000;
      let seen = await segmentState(flink);
      while (JSON.stringify(seen) !== JSON.stringify(writes[i]!.state)) {
        if (Date.now() > deadline) {
          throw new Error(
            `after ${asked}: the Flink side holds ${JSON.stringify(seen)}, the TS side held ${JSON.stringify(writes[i]!.state)}\n${job.log().slice(-3000)}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
        seen = await segmentState(flink);
      }
    }
    expect(await flink.backend.store.definitions([CUSTOMER])).toEqual([
      [{ ...PRICING_FANS, rule: { ...PRICING_FANS.rule, min_count: 4 } }],
    ]);

    // Writes while the job is down: the API answers 503 once a step times out, with the write
    // recorded as unfinished. The backend finishes it (trying every second here) once the job
    // runs again, from its checkpoint. A POST: the segment is filled from its history, so its
    // members are those the first POST found, announced once more (the segment was deleted in
    // between), and nothing else changes. Then a DELETE: the segment leaves the store too.
    await undeploy();
    const again = await deploy(
      'flink',
      {
        kafkaBrokers: [broker.brokers],
        redisUrl: redis.url,
        engine: 'flink',
        definitionTimeoutMs: 5_000,
        finishSegmentWritesEveryMs: 1_000,
      },
      { seed: false },
    );
    const unfinished = () => again.backend.store.listDocuments(CUSTOMER, UNFINISHED_WRITE_KIND);
    const refused = async (request: [string, string, unknown?], kind: string) => {
      expect(await write(again, request)).toMatchObject({
        status: 503,
        body: { error: { code: 'unavailable' } },
      });
      expect(await unfinished()).toEqual([{ id: PRICING_TWICE.id, value: { kind } }]);
    };
    const finishedAs = async (expected: Awaited<ReturnType<typeof segmentState>>) => {
      // The records sent while it was down are read after the checkpoint's offsets.
      job = startFlinkJob({
        brokers: [broker.brokers],
        segments: {},
        dir: join(dir, 'flink-job'),
        checkpointMs: 300,
        parallelism: 2,
        tickMs: 0,
      });
      let seen: unknown;
      await waitUntil(
        () =>
          `the unfinished write to leave ${JSON.stringify(expected)}; it left ${JSON.stringify(seen)}\n${job?.log().slice(-3000)}`,
        async () => {
          seen = await segmentState(again);
          return JSON.stringify(seen) === JSON.stringify(expected);
        },
        120_000,
      );
      await waitUntil(
        'the finished write to be no longer recorded as unfinished',
        async () => (await unfinished()).length === 0,
        30_000,
      );
    };
    const redefinedFans = { ...PRICING_FANS, rule: { ...PRICING_FANS.rule, min_count: 4 } };

    await refused(WRITES[0]!, 'define');
    await finishedAs({ ...writes[2]!.state, pricing_twice: writes[0]!.state.pricing_twice });
    expect(await again.backend.store.definitions([CUSTOMER])).toEqual([
      [redefinedFans, PRICING_TWICE],
    ]);
    // Every record of the topic (a few dozen) is read well within 20 s: each member entered
    // once for the first POST and once for this one, and no more.
    const announced = await readTopics(broker.brokers, [TOPICS.segments], () => false, 20_000);
    const enters = announced.filter(
      ({ value }) => value.segment_id === 'pricing_twice' && value.change === 'enter',
    );
    expect(enters.map(({ value }) => value.id).sort()).toEqual(
      [...writes[0]!.state.pricing_twice, ...writes[0]!.state.pricing_twice].sort(),
    );

    await job.stop();
    await refused(WRITES[2]!, 'delete');
    await finishedAs(writes[2]!.state);
    expect(await again.backend.store.definitions([CUSTOMER])).toEqual([[redefinedFans]]);
  }, 240_000);
});
