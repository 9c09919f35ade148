import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { signBody, SIGNATURE_HEADER } from '@pulse/contract';
import {
  kafkaToolsAvailable,
  startKafka,
  type KafkaBroker,
} from '../../tests/services/kafka/broker';
import { missingService } from '../../tests/services/free-port';
import { ALL_TOPICS, ensureTopics, setUpTopics, TOPICS } from '../src/kafka/topics';
import { createKafkaSink, type KafkaSink } from '../src/sinks/kafka-sink';
import { startIngest, type IngestServer } from '../src/ingest/ingest-server';
import { readTopics, sinkBatch } from './kafka-fixtures';

const SECRET = 'ingest-test-secret';
const TEST_TOPICS = {
  partitions: 2,
  replicationFactor: 1,
  minInsyncReplicas: 1,
  retentionMs: 7 * 24 * 3600 * 1000,
};
const why = await kafkaToolsAvailable();
const skip = why ? missingService('Apache Kafka (java + mvn)', why) === 'skip' : false;

describe.skipIf(skip)('backend ingest into a real Kafka broker', () => {
  let broker: KafkaBroker;
  let sink: KafkaSink;
  let ingest: IngestServer;

  const post = async (body: string, signature?: string | null) =>
    fetch(`${ingest.url}/internal/ingest`, {
      method: 'POST',
      body,
      headers:
        signature === null
          ? {}
          : { [SIGNATURE_HEADER]: signature ?? (await signBody(SECRET, body)) },
    });

  beforeAll(async () => {
    broker = await startKafka();
    await setUpTopics([broker.brokers], TEST_TOPICS);
    sink = createKafkaSink({ brokers: [broker.brokers], timeoutMs: 5000 });
    ingest = await startIngest({ port: 0, secret: SECRET, sink });
  });

  afterAll(async () => {
    await ingest?.close();
    await sink?.close();
    await broker?.stop();
  });

  it('creates every topic once with 7-day retention, and a second run changes nothing', async () => {
    const admin = new Kafka({ brokers: [broker.brokers], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      expect(await ensureTopics(admin, TEST_TOPICS)).toEqual([]);
      expect((await admin.listTopics()).filter((t) => t.startsWith('pulse.')).sort()).toEqual(
        [...ALL_TOPICS].sort(),
      );
      const configs = await admin.describeConfigs({
        resources: [
          {
            type: 2,
            name: TOPICS.events('click'),
            configNames: ['retention.ms', 'min.insync.replicas'],
          },
        ],
        includeSynonyms: false,
      });
      const entries = Object.fromEntries(
        configs.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]),
      );
      expect(entries).toEqual({
        'retention.ms': String(7 * 24 * 3600 * 1000),
        'min.insync.replicas': '1',
      });
    } finally {
      await admin.disconnect();
    }
  });

  it('answers 200 to a signed batch only once Kafka holds every event, on its type topic, keyed per visitor', async () => {
    const batch = sinkBatch('cust_a', 3);
    batch.events[1]!.event_type = 'click';
    batch.dead_letters.push({
      customer_id: 'cust_a',
      index: 3,
      event_id: 'bad-1',
      code: 'invalid_event',
      message: 'event_type: Invalid option',
      raw: { event_type: 'purchase' },
      received_at: new Date().toISOString(),
    });
    const res = await post(JSON.stringify(batch));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, events: 3, dead_letters: 1 });
    const ids = new Set(batch.events.map((e) => e.event_id));
    const read = await readTopics(
      broker.brokers,
      [...ALL_TOPICS],
      (m) =>
        m.filter((x) => ids.has(x.headers.event_id!)).length === 3 &&
        m.some((x) => x.topic === TOPICS.dlq && x.value.event_id === 'bad-1'),
    );
    const ours = read.filter((m) => ids.has(m.headers.event_id!));
    expect(ours.map((m) => m.topic).sort()).toEqual([
      'pulse.events.click',
      'pulse.events.page_view',
      'pulse.events.page_view',
    ]);
    for (const m of ours) expect(m.key).toBe('cust_a:v-1');
    const dead = read.find((m) => m.topic === TOPICS.dlq && m.value.event_id === 'bad-1');
    expect(dead?.value).toMatchObject({ code: 'invalid_event', raw: { event_type: 'purchase' } });
  });

  it('puts the count of events a client dropped for space on record in pulse.dlq', async () => {
    const batch = { ...sinkBatch('cust_dropped', 1), client_dropped: 7 };
    expect((await post(JSON.stringify(batch))).status).toBe(200);
    const read = await readTopics(broker.brokers, [TOPICS.dlq], (m) =>
      m.some((x) => x.headers.customer_id === 'cust_dropped'),
    );
    expect(read.find((m) => m.headers.customer_id === 'cust_dropped')?.value).toMatchObject({
      code: 'client_dropped',
      count: 7,
    });
  });

  it("carries the edge's traceparent to every event record's headers, and refuses a forged one", async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const batch = { ...sinkBatch('cust_traced', 2), traceparent };
    const res = await post(JSON.stringify(batch));
    expect(res.status).toBe(200);
    const read = await readTopics(
      broker.brokers,
      [TOPICS.events('page_view')],
      (m) => m.filter((x) => x.headers.customer_id === 'cust_traced').length === 2,
    );
    const ours = read.filter((m) => m.headers.customer_id === 'cust_traced');
    expect(ours.map((m) => m.headers.traceparent)).toEqual([traceparent, traceparent]);

    const forged = { ...sinkBatch('cust_traced', 1), traceparent: 'x\nyz' };
    expect((await post(JSON.stringify(forged))).status).toBe(400);
  });

  it('refuses forged, stale and unsigned batches with 401 and produces nothing from them', async () => {
    const batch = sinkBatch('cust_forged', 1);
    const body = JSON.stringify(batch);
    const forged = await signBody('wrong-secret', body);
    const stale = await signBody(SECRET, body, Math.floor(Date.now() / 1000) - 3600);
    for (const signature of [forged, stale, null, 't=1,v1=zz']) {
      const res = await post(body, signature);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
        'invalid_signature',
      );
    }
    // A replay of a body that was once valid but under another body's signature fails too.
    const other = await signBody(SECRET, JSON.stringify(sinkBatch('cust_forged', 1)));
    expect((await post(body, other)).status).toBe(401);
    const read = await readTopics(broker.brokers, [...ALL_TOPICS], () => false, 3000);
    expect(read.filter((m) => m.headers.customer_id === 'cust_forged')).toEqual([]);
  });

  it('answers 400 with a structured error to a signed body that is not a batch', async () => {
    for (const body of [
      'not json',
      JSON.stringify({ customer_id: 'c', events: [{}], dead_letters: [] }),
    ]) {
      const res = await post(body);
      expect(res.status).toBe(400);
      const json = (await res.json()) as { error: { code: string; message: string } };
      expect(['invalid_json', 'invalid_batch']).toContain(json.error.code);
      expect(json.error.message.length).toBeGreaterThan(0);
    }
  });

  it('answers 503 with Retry-After while the broker is down, and accepts again after it restarts', async () => {
    await broker.kill9();
    const down = await post(JSON.stringify(sinkBatch('cust_down', 2)));
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('1');
    await broker.restart();
    const batch = sinkBatch('cust_down', 2);
    let status = 0;
    for (let i = 0; i < 20 && status !== 200; i++) {
      status = (await post(JSON.stringify(batch))).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 500));
    }
    expect(status).toBe(200);
  });

  it('loses nothing it acknowledged when the broker is killed mid-stream and restarted', async () => {
    const acked = new Set<string>();
    let stop = false;
    const producer = (async () => {
      while (!stop) {
        const batch = sinkBatch('cust_chaos', 20);
        const res = await post(JSON.stringify(batch)).catch(() => undefined);
        if (res?.status === 200) for (const e of batch.events) acked.add(e.event_id);
      }
    })();
    await new Promise((r) => setTimeout(r, 1500));
    await broker.kill9();
    await new Promise((r) => setTimeout(r, 1000));
    await broker.restart();
    await new Promise((r) => setTimeout(r, 3000));
    stop = true;
    await producer;
    expect(acked.size).toBeGreaterThan(0);
    const seen = new Set<string>();
    await readTopics(
      broker.brokers,
      [TOPICS.events('page_view')],
      (m) => {
        for (const x of m.slice(seen.size ? -1 : 0)) seen.add(x.headers.event_id!);
        return [...acked].every((id) => seen.has(id));
      },
      40_000,
    );
    const lost = [...acked].filter((id) => !seen.has(id));
    console.log(`[kafka-chaos] acknowledged ${acked.size} events; lost ${lost.length}`);
    expect(lost).toEqual([]);
  }, 120_000);
});
