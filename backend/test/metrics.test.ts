import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import type { DeadLetter, SinkBatch } from '@pulse/contract';
import {
  kafkaToolsAvailable,
  startKafka,
  type KafkaBroker,
} from '../../tests/services/kafka/broker';
import { missingService } from '../../tests/services/free-port';
import { parsePrometheusText } from '../../tests/services/prometheus-text';
import { TOPICS } from '../src/kafka/topics';
import { createCustomerLabels, OTHER_CUSTOMERS } from '../src/metrics/customer-labels';
import { startBackend, type Backend } from '../src/start-backend';
import { pulseEvent } from './kafka-fixtures';
import { tempWarehousePath } from './warehouse-fixtures';
import { eventually, postIngest } from './ingest-fixtures';

const SECRET = 'metrics-secret';

/** One sample of a Prometheus text exposition: `name{labels}` → value, or undefined. */
async function scrape(opsUrl: string): Promise<(series: string) => number | undefined> {
  const res = await fetch(`${opsUrl}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  const samples = parsePrometheusText(await res.text());
  return (series) => samples.get(series);
}

const deadLetter = (customer: string, index: number): DeadLetter => ({
  customer_id: customer,
  index,
  event_id: null,
  code: 'invalid_event',
  message: 'event_type is missing',
  raw: { nope: true },
  received_at: new Date().toISOString(),
});

const ingest = (url: string, batch: SinkBatch) => postIngest(url, SECRET, batch);

describe('customer labels', () => {
  it('name the first customers seen and fold the rest into one value', () => {
    const label = createCustomerLabels(2);
    expect(['cust_a', 'cust_b', 'cust_c', 'cust_a', 'cust_d'].map(label)).toEqual([
      'cust_a',
      'cust_b',
      OTHER_CUSTOMERS,
      'cust_a',
      OTHER_CUSTOMERS,
    ]);
  });
});

describe('the operations server of an embedded backend', () => {
  let backend: Backend;
  let dir: string;
  beforeAll(async () => {
    dir = tempWarehousePath();
    backend = await startBackend({
      dataDir: dir,
      port: 0,
      ingestSecret: SECRET,
      tickMs: 0,
      opsPort: 0,
    });
  });
  afterAll(async () => {
    await backend?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('counts a known workload exactly: accepted, rejected by code, client drops, commits', async () => {
    const opsUrl = backend.opsUrl ?? '';
    const receivedAt = new Date(Date.now() - 1500).toISOString();
    const a = [1, 2, 3].map(() => pulseEvent('cust_a', { received_at: receivedAt }));
    await ingest(backend.url ?? '', {
      customer_id: 'cust_a',
      events: a,
      dead_letters: [deadLetter('cust_a', 3), deadLetter('cust_a', 4)],
      client_dropped: 4,
    });
    await ingest(backend.url ?? '', {
      customer_id: 'cust_b',
      events: [pulseEvent('cust_b')],
      dead_letters: [],
    });
    await backend.processor.idle();

    const sample = await scrape(opsUrl);
    expect(sample('pulse_events_accepted_total{customer="cust_a"}')).toBe(3);
    expect(sample('pulse_events_accepted_total{customer="cust_b"}')).toBe(1);
    expect(sample('pulse_events_rejected_total{customer="cust_a",code="invalid_event"}')).toBe(2);
    expect(sample('pulse_events_rejected_total{customer="cust_b",code="invalid_event"}')).toBe(
      undefined,
    );
    expect(sample('pulse_client_dropped_total{customer="cust_a"}')).toBe(4);
    expect(sample('pulse_ingest_write_seconds_count{outcome="ok"}')).toBe(2);
    expect(sample('pulse_events_committed_total{customer="cust_a"}')).toBe(3);
    expect(sample('pulse_events_committed_total{customer="cust_b"}')).toBe(1);
    expect(sample('pulse_event_commit_latency_seconds_count')).toBe(4);
    // cust_a's three were received 1.5 s before they were sent: none commits within a second.
    expect(sample('pulse_event_commit_latency_seconds_bucket{le="1"}')).toBe(1);
    expect(sample('pulse_warehouse_write_seconds_count{outcome="ok"}')).toBeGreaterThan(0);
    expect(sample('pulse_warehouse_write_seconds_count{outcome="error"}') ?? 0).toBe(0);
    expect(sample('pulse_sse_subscribers')).toBe(0);
    expect(sample('pulse_backend_process_cpu_seconds_total')).toBeGreaterThan(0);
  });

  it('is alive and ready, and names each check', async () => {
    const health = await fetch(`${backend.opsUrl}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${backend.opsUrl}/readyz`);
    expect(await ready.json()).toEqual({ ready: true, checks: { warehouse: 'ok', state: 'ok' } });
    expect(ready.status).toBe(200);
  });
});

const why = await kafkaToolsAvailable();
const skipKafka = why ? missingService('Apache Kafka (java + mvn)', why) === 'skip' : false;

describe.skipIf(skipKafka)('the operations server of a Kafka backend', () => {
  let broker: KafkaBroker;
  let backend: Backend;
  let dir: string;
  beforeAll(async () => {
    broker = await startKafka();
    dir = tempWarehousePath();
    backend = await startBackend({
      dataDir: dir,
      port: 0,
      ingestSecret: SECRET,
      tickMs: 0,
      opsPort: 0,
      kafkaBrokers: [broker.brokers],
      groupId: 'metrics-test',
      sessionTimeoutMs: 10_000,
      onQuarantine: () => undefined,
    });
  });
  afterAll(async () => {
    await backend?.stop();
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reports quarantined records by code, the lag per partition, and readiness of Kafka', async () => {
    const opsUrl = backend.opsUrl ?? '';
    const ready = await eventually(
      async () => (await (await fetch(`${opsUrl}/readyz`)).json()) as { ready: boolean },
      (report) => report.ready,
      'readiness of the Kafka backend',
    );
    expect(ready).toEqual({
      ready: true,
      checks: { warehouse: 'ok', state: 'ok', kafka: 'ok', consumer: 'ok' },
    });

    const producer = new Kafka({
      brokers: [broker.brokers],
      logLevel: logLevel.NOTHING,
    }).producer();
    await producer.connect();
    await producer.send({
      topic: TOPICS.events('page_view'),
      messages: [{ key: 'cust_a:v1', value: 'not json at all' }],
    });
    await producer.disconnect();
    await ingest(backend.url ?? '', {
      customer_id: 'cust_a',
      events: [pulseEvent('cust_a'), pulseEvent('cust_a')],
      dead_letters: [],
    });

    const sample = await eventually(
      () => scrape(opsUrl),
      (read) =>
        read('pulse_dead_letters_total{customer="cust_a",code="quarantined"}') === 1 &&
        read('pulse_events_committed_total{customer="cust_a"}') === 2,
      'a quarantined record and two committed events',
    );
    expect(sample('pulse_events_accepted_total{customer="cust_a"}')).toBe(2);
    const lag = [0, 1, 2, 3, 4, 5].map((p) =>
      sample(`pulse_consumer_lag{topic="${TOPICS.events('page_view')}",partition="${p}"}`),
    );
    // Every partition the processor read from is caught up; it read at least one.
    expect(lag.filter((value) => value !== undefined).length).toBeGreaterThan(0);
    expect(lag.every((value) => value === undefined || value === 0)).toBe(true);
  });
});
