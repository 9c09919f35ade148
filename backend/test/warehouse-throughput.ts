/**
 * Insert throughput of the warehouse on chdb: writes batches of realistic events into a fresh
 * directory and prints events/s per batch and overall. A figure, not a test.
 *
 *   npx tsx backend/test/warehouse-throughput.ts [batches=10] [batchSize=20000]
 */
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { PulseEvent } from '@pulse/contract';
import { createWarehouse } from '../src/warehouse/create-warehouse';
import { tempWarehousePath } from './warehouse-fixtures';

const batches = Number(process.argv[2] ?? 10);
const batchSize = Number(process.argv[3] ?? 20_000);
const userAgent =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

function makeBatch(batch: number): PulseEvent[] {
  const base = Date.now() - 3_600_000;
  return Array.from({ length: batchSize }, (_, i) => {
    const n = batch * batchSize + i;
    const time = new Date(base + n * 7).toISOString();
    const path = `/products/${n % 200}`;
    return {
      event_id: `0193${n.toString(16).padStart(8, '0')}-7000-8000-${'0'.repeat(12)}`,
      customer_id: `cust_${n % 5}`,
      visitor_id: `visitor-${n % 5_000}`,
      user_id: n % 3 == 0 ? `user-${n % 1_000}` : null,
      session_id: `session-${n % 8_000}`,
      event_type: n % 4 == 0 ? 'click' : 'page_view',
      event_name: n % 4 == 0 ? 'add_to_cart' : 'product',
      properties: { path, url: `https://shop.example${path}?ref=mail`, referrer: '/home' },
      previous_id: null,
      context: {
        ip: 'f1c3a9d2e8b7',
        user_agent: userAgent,
        locale: 'en-US',
        page: { url: `https://shop.example${path}`, path, title: 'Product' },
        screen: { width: 1440, height: 900, density: 2 },
        library: { name: '@pulse/sdk', version: '0.1.0' },
        geo: { country: 'DE', region: 'BE', city: 'Berlin' },
      },
      timestamp: time,
      original_timestamp: time,
      sent_at: time,
      received_at: time,
    };
  });
}

const path = tempWarehousePath();
const warehouse = await createWarehouse({ path });
const bytes = JSON.stringify(makeBatch(0)[0]).length;
let total = 0;
for (let b = 0; b < batches; b++) {
  const events = makeBatch(b);
  const started = performance.now();
  await warehouse.write({ events, links: [], changes: [] });
  const ms = performance.now() - started;
  total += ms;
  console.log(
    `batch ${b}: ${events.length} events in ${ms.toFixed(0)} ms = ${Math.round(events.length / (ms / 1000))} events/s`,
  );
}
const replayStarted = performance.now();
await warehouse.write({ events: makeBatch(0), links: [], changes: [] });
const replayMs = performance.now() - replayStarted;
console.log(
  `overall: ${Math.round((batches * batchSize) / (total / 1000))} events/s (${bytes} B/event JSON); ` +
    `replay of batch 0: ${replayMs.toFixed(0)} ms; stored: ${await warehouse.eventCount('cust_0')} events of cust_0`,
);
await warehouse.close();
rmSync(path, { recursive: true, force: true });
