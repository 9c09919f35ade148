/**
 * The Node edge for the benchmark, in its own process: real app, real validation and
 * enrichment. With INGEST_URL set its sink is the Node edge's without Kafka (`createHttpIngestSink`
 * over undici, as edge/src/adapters/node/main.ts: serialise, sign, POST to ingest), the work per
 * batch the Worker does with fetch; without, a sink that only counts, so the figure is the edge's
 * work before the sink. Prints `{ url }`
 * on stdout when listening; the parent reads this process's CPU time from `/proc`.
 */
import type { Sink } from '@pulse/contract';
import { createUndiciPost, startNodeEdge } from '../../edge/src/adapters/node';
import { createMemoryConfigStore } from '../../edge/src/config/memory-config-store';
import { createHttpIngestSink } from '../../edge/src/sinks/http-ingest-sink';

const ingestUrl = process.env.INGEST_URL;
const sink: Sink = ingestUrl
  ? createHttpIngestSink({
      url: ingestUrl,
      secret: process.env.INGEST_SECRET ?? '',
      post: createUndiciPost(),
    })
  : { write: async () => {} };
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
  sink,
  ipSaltSecret: 'bench-salt',
});
process.stdout.write(`${JSON.stringify({ url: edge.url })}\n`);
