import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNodeEdge } from '../../edge/src/adapters/node';
import { createMemoryConfigStore } from '../../edge/src/config/memory-config-store';
import { createFileLogSink } from '../../backend/src/sinks/file-log-sink';
import type { Collector } from '../collector/collector';

/**
 * The real edge (the Node adapter: the same Hono app as on Workers) writing to backend's
 * durable file log, seen through the Collector interface so the browser scenarios can run
 * against it unchanged. What it records is what the edge made durable. It cannot fail on
 * command: scenarios that need that run against the test collector only.
 */
export async function startEdgeTarget(key: string, siteOrigin: string): Promise<Collector> {
  const dir = await mkdtemp(join(tmpdir(), 'pulse-browser-edge-'));
  const log = createFileLogSink(join(dir, 'events.ndjson'));
  const target: Pick<Collector, 'requests' | 'counts' | 'events'> = {
    requests: [],
    counts: new Map(),
    events: [],
  };
  const edge = await startNodeEdge({
    config: createMemoryConfigStore({
      [key]: {
        customer_id: 'cust_browser',
        allowed_origins: [siteOrigin],
        rate: { per_second: 10_000, burst: 100_000 },
        routing: 'new',
      },
    }),
    sink: {
      async write(batch) {
        await log.write(batch);
        // Recorded only once durable, exactly like an acknowledgement.
        target.requests.push({ at: Date.now(), url: '/v1/events', status: 200, body: batch });
        for (const event of batch.events) {
          target.counts.set(event.event_id, (target.counts.get(event.event_id) ?? 0) + 1);
          target.events.push(event as unknown as Collector['events'][number]);
        }
      },
    },
    ipSaltSecret: 'browser-suite-salt',
  });
  const unsupported = () => {
    throw new Error(
      'the real edge cannot fail on command; run this scenario against the test collector',
    );
  };
  return {
    ...target,
    url: edge.url,
    failNext: (n) => void (n > 0 && unsupported()),
    setMode: (mode) => void (mode.kind !== 'ok' && unsupported()),
    close: async () => {
      await edge.close();
      await log.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
