import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SinkBatch } from '@pulse/contract';
import { startIngest, type IngestServer } from '@pulse/backend/ingest';
import { keyConfigs, nativeEvent } from '../../../test/support/fixtures';
import { startCollector, type Collector } from '../../../../tests/services/otlp-collector';
import { parsePrometheusText } from '../../../../tests/services/prometheus-text';

const SECRET = 'node-main-secret';
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

/** Backend ingest itself (signature checks, schema), with the batches it made durable. */
let ingest: IngestServer;
let collector: Collector;
const ingested: SinkBatch[] = [];
let child: ChildProcess;
let edgeUrl = '';
let opsUrl = '';

/** Starts `main.ts` and waits (bounded) for the line that names both of its URLs. */
async function startMain(env: Record<string, string>): Promise<[string, string]> {
  child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const started = new Promise<[string, string]>((resolve, reject) => {
    lines.on('line', (line) => {
      const found = /on (http:\/\/\S+), operations on (http:\/\/\S+)$/.exec(line);
      if (found) resolve([found[1] as string, found[2] as string]);
    });
    child.once('exit', (code) => reject(new Error(`edge main exited with ${code} before serving`)));
  });
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error('edge main printed no URLs in 30 s')), 30_000).unref(),
  );
  return Promise.race([started, timeout]);
}

async function scrape(): Promise<Map<string, number>> {
  return parsePrometheusText(await (await fetch(`${opsUrl}/metrics`)).text());
}

beforeAll(async () => {
  collector = await startCollector();
  ingest = await startIngest({
    port: 0,
    secret: SECRET,
    sink: { write: async (batch) => void ingested.push(batch) },
  });
  [edgeUrl, opsUrl] = await startMain({
    PULSE_KEYS: JSON.stringify(keyConfigs()),
    INGEST_URL: `${ingest.url}/internal/ingest`,
    INGEST_SECRET: SECRET,
    IP_SALT_SECRET: 'salt',
    PORT: '0',
    PULSE_OPS_PORT: '0',
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
  });
  // Starting a tsx child takes seconds alone, longer beside the other suites; startMain's own
  // 30 s bound says why it failed before this one does.
}, 60_000);

afterAll(async () => {
  child?.kill('SIGTERM');
  await ingest?.close().catch(() => undefined);
  await collector?.close();
});

describe('the Node edge process (main.ts) with PULSE_OPS_PORT', () => {
  it(
    'counts a known workload on /metrics: accepted, refused by code, client drops, answers',
    { timeout: 30_000 },
    async () => {
      const post = (key: string, body: unknown) =>
        fetch(`${edgeUrl}/v1/events?key=${key}`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain' },
          body: JSON.stringify(body),
        });
      const sent_at = new Date().toISOString();
      const ok = await post('pk_test_open', {
        sent_at,
        dropped: 1,
        events: [nativeEvent(), nativeEvent(), { event_type: 'page_view' }],
      });
      expect(ok.status).toBe(200);
      expect(ingested.flatMap((batch) => batch.events)).toHaveLength(2);
      expect((await post('pk_test_nobody', { sent_at, events: [nativeEvent()] })).status).toBe(401);

      const samples = await scrape();
      expect(samples.get('pulse_edge_events_accepted_total{customer="cust_open"}')).toBe(2);
      expect(
        samples.get('pulse_edge_events_rejected_total{customer="cust_open",code="invalid_event"}'),
      ).toBe(1);
      expect(samples.get('pulse_edge_client_dropped_total{customer="cust_open"}')).toBe(1);
      expect(
        samples.get(
          'pulse_edge_requests_total{customer="cust_open",route="/v1/events",status="200",code="ok"}',
        ),
      ).toBe(1);
      expect(
        samples.get(
          'pulse_edge_requests_total{customer="_none",route="/v1/events",status="401",code="invalid_key"}',
        ),
      ).toBe(1);
    },
  );

  it(
    "exports its span of a request over OTLP, the client's span its parent, its id the one ingest got",
    { timeout: 30_000 },
    async () => {
      const clientTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
      const clientSpan = '00f067aa0ba902b7';
      const res = await fetch(`${edgeUrl}/v1/events?key=pk_test_open`, {
        method: 'POST',
        headers: {
          'content-type': 'text/plain',
          traceparent: `00-${clientTrace}-${clientSpan}-01`,
        },
        body: JSON.stringify({ sent_at: new Date().toISOString(), events: [nativeEvent()] }),
      });
      expect(res.status).toBe(200);
      const carried = ingested.at(-1)?.traceparent ?? '';
      expect(carried.slice(3, 35)).toBe(clientTrace);
      // Spans leave in batches (every 5 s by default): wait for this one, bounded.
      const until = Date.now() + 20_000;
      const edgeSpans = () => collector.spans.filter((span) => span.traceId === clientTrace);
      while (edgeSpans().length === 0 && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(edgeSpans(), 'no span of the trace reached the collector in 20 s').toEqual([
        expect.objectContaining({
          service: 'pulse-edge',
          name: 'pulse.edge',
          spanId: carried.slice(36, 52),
          parentSpanId: clientSpan,
          attributes: expect.objectContaining({ 'url.path': '/v1/events' }),
        }),
      ]);
    },
  );

  it(
    'is ready while backend ingest answers, and says why not once it is gone',
    { timeout: 30_000 },
    async () => {
      const before = await fetch(`${opsUrl}/readyz`);
      expect(await before.json()).toEqual({ ready: true, checks: { sink: 'ok' } });
      await ingest.close();
      const after = await fetch(`${opsUrl}/readyz`);
      expect(after.status).toBe(503);
      const report = (await after.json()) as { ready: boolean; checks: { sink: string } };
      expect(report.checks.sink).not.toBe('ok');
      expect((await fetch(`${opsUrl}/healthz`)).status).toBe(200);
    },
  );
});
