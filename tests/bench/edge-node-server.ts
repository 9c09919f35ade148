/**
 * The Node edge for the benchmark, in its own process (one core): real app, real validation
 * and enrichment, with a sink that only counts, so the figure is the edge's own work.
 */
import { startNodeEdge } from '../../edge/src/adapters/node';
import { createMemoryConfigStore } from '../../edge/src/config/memory-config-store';

let events = 0;
const edge = await startNodeEdge({
  port: 0,
  config: createMemoryConfigStore({
    pk_bench: {
      customer_id: 'cust_bench',
      allowed_origins: ['*'],
      rate: { per_second: 1e9, burst: 1e9 },
      routing: 'new',
    },
  }),
  sink: { write: async (batch) => void (events += batch.events.length) },
  ipSaltSecret: 'bench-salt',
});
process.stdout.write(`${JSON.stringify({ url: edge.url })}\n`);
process.on('message', () => process.send?.({ events }));
