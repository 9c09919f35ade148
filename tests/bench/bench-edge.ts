import type { Sink } from '@pulse/contract';
import { startNodeEdge, type NodeEdge } from '../../edge/src/adapters/node';
import { createMemoryConfigStore } from '../../edge/src/config/memory-config-store';
import type { DecideBackend } from '../../edge/src/routes/decide-backend';

/**
 * The Node edge as the benches drive it: one write key for one customer, any origin, a rate
 * limit far above what the load generator sends (the bench measures the pipeline, not 429s).
 */
export function startBenchEdge(options: {
  key: string;
  customer: string;
  sink: Sink;
  decide?: DecideBackend;
}): Promise<NodeEdge> {
  return startNodeEdge({
    config: createMemoryConfigStore({
      [options.key]: {
        customer_id: options.customer,
        allowed_origins: ['*'],
        rate: { per_second: 100_000, burst: 100_000 },
        routing: 'new',
      },
    }),
    sink: options.sink,
    ipSaltSecret: 'bench',
    decide: options.decide,
  });
}
