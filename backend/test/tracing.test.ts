import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  kafkaToolsAvailable,
  startKafka,
  type KafkaBroker,
} from '../../tests/services/kafka/broker';
import { missingService } from '../../tests/services/free-port';
import { startCollector, type Collector } from '../../tests/services/otlp-collector';
import { startBackend, type Backend } from '../src/start-backend';
import { pulseEvent } from './kafka-fixtures';
import { tempWarehousePath } from './warehouse-fixtures';
import { eventually, postIngest } from './ingest-fixtures';

const SECRET = 'tracing-secret';
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const EDGE_SPAN = '00f067aa0ba902b7';

const why = await kafkaToolsAvailable();
const skipKafka = why ? missingService('Apache Kafka (java + mvn)', why) === 'skip' : false;

describe.skipIf(skipKafka)('spans over OTLP', () => {
  let broker: KafkaBroker;
  let collector: Collector;
  let backend: Backend | undefined;
  let dir: string;
  beforeAll(async () => {
    collector = await startCollector();
    broker = await startKafka();
    dir = tempWarehousePath();
    backend = await startBackend({
      dataDir: dir,
      port: 0,
      ingestSecret: SECRET,
      tickMs: 0,
      kafkaBrokers: [broker.brokers],
      groupId: 'tracing-test',
      sessionTimeoutMs: 10_000,
      otlpEndpoint: collector.url,
    });
  });
  afterAll(async () => {
    await backend?.stop();
    await broker?.stop();
    await collector?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("continue the edge's trace: ingest a child of the edge's span, processing a child of ingest", async () => {
    const running = backend!;
    await postIngest(running.url ?? '', SECRET, {
      customer_id: 'cust_a',
      events: [pulseEvent('cust_a'), pulseEvent('cust_a')],
      dead_letters: [],
      traceparent: `00-${TRACE}-${EDGE_SPAN}-01`,
    });
    await eventually(
      () => running.warehouse.eventCount('cust_a'),
      (count) => count === 2,
      'events of the traced batch in the warehouse',
    );
    // A stop exports what is buffered: every span of the work above is at the collector after it.
    await running.stop();
    backend = undefined;

    const traced = collector.spans.filter((span) => span.traceId === TRACE);
    const ingest = traced.filter((span) => span.name === 'pulse.ingest');
    expect(ingest).toEqual([
      expect.objectContaining({
        service: 'pulse-backend',
        parentSpanId: EDGE_SPAN,
        attributes: expect.objectContaining({ 'pulse.customer_id': 'cust_a', 'pulse.events': 2 }),
      }),
    ]);
    const processing = traced.filter((span) => span.name === 'pulse.process');
    expect(processing.length).toBeGreaterThanOrEqual(1);
    for (const span of processing) {
      expect(span.parentSpanId).toBe(ingest[0]!.spanId);
      expect(span.attributes['messaging.destination.name']).toBe('pulse.events.page_view');
    }
  });
});
