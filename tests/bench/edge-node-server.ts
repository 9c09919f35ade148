/**
 * The Node edge for the benchmark, in its own process: real app, real validation and
 * enrichment, with a sink that only counts, so the figure is the edge's own work. The parent
 * asks for the events counted and the CPU time spent between 'start' and 'stop'.
 */
import { startNodeEdge } from '../../edge/src/adapters/node';
import { createMemoryConfigStore } from '../../edge/src/config/memory-config-store';

let events = 0;
let cpu = process.cpuUsage();
let counted = 0;
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
process.on('message', (message) => {
  if (message === 'start') {
    cpu = process.cpuUsage();
    counted = events;
  } else {
    const used = process.cpuUsage(cpu);
    process.send?.({ events: events - counted, cpuSeconds: (used.user + used.system) / 1e6 });
  }
});
