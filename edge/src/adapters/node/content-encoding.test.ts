import { afterAll, beforeAll } from 'vitest';
import { createMemoryConfigStore } from '../../config/memory-config-store';
import { createHttpIngestSink } from '../../sinks/http-ingest-sink';
import { KEYS, keyConfigs } from '../../../test/support/fixtures';
import { describeContentEncoding } from '../../../test/support/content-encoding-suite';
import { startVerifyingIngest, type VerifyingIngest } from '../../../test/support/verifying-ingest';
import { startNodeEdge, type NodeEdge } from '.';

const secret = 'node-encoding-secret';
let ingest: VerifyingIngest;
let edge: NodeEdge;

beforeAll(async () => {
  ingest = await startVerifyingIngest(secret);
  edge = await startNodeEdge({
    config: createMemoryConfigStore(keyConfigs()),
    sink: createHttpIngestSink({ url: ingest.url, secret }),
    ipSaltSecret: 'salt-secret',
  });
});

afterAll(async () => {
  await edge?.close();
  await ingest?.close();
});

describeContentEncoding('the Node edge over real HTTP', () => ({
  post: (path, body, headers) =>
    fetch(`${edge.url}${path}?key=${KEYS.open}`, {
      method: 'POST',
      headers,
      body,
      duplex: 'half',
      signal: AbortSignal.timeout(20_000),
    } as RequestInit),
  delivered: () =>
    Promise.resolve(ingest.batches.flatMap((batch) => batch.events.map((e) => e.event_id))),
}));
