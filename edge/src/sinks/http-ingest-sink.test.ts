import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SinkBatch } from '@pulse/contract';
import { startRecordingServer } from '../../test/support/recording-server';
import { startVerifyingIngest, type VerifyingIngest } from '../../test/support/verifying-ingest';
import { createUndiciPost } from '../adapters/node/undici-post';
import { createHttpIngestSink, fetchPost, IngestWriteError } from './http-ingest-sink';

const secret = 'ingest-secret';
let ingest: VerifyingIngest;

beforeAll(async () => {
  ingest = await startVerifyingIngest(secret);
});
afterAll(() => ingest.close());
beforeEach(() => {
  ingest.batches.length = 0;
  ingest.failWith = undefined;
  ingest.refused = 0;
});

const batch: SinkBatch = {
  customer_id: 'cust_1',
  events: [],
  dead_letters: [
    {
      customer_id: 'cust_1',
      index: 0,
      event_id: null,
      code: 'invalid_event',
      message: 'event_type: Invalid option',
      raw: { event_type: 'x', note: 'ünïcödé ✓' },
      received_at: '2025-01-21T10:30:00.050Z',
    },
  ],
};

/** The sink over each transport: fetch (the Workers edge's) and undici (the Node edge's). */
describe.each([
  ['fetch', fetchPost],
  ['undici', createUndiciPost()],
])('HttpIngestSink over %s', (_name, post) => {
  it('posts the batch signed with the contract signature, and resolves on the 200', async () => {
    const sink = createHttpIngestSink({ url: ingest.url, secret, post });
    await sink.write(batch);
    expect(ingest.refused).toBe(0);
    expect(ingest.batches).toEqual([batch]);
    expect(ingest.server.requests[0]?.headers['content-type']).toBe('application/json');
  });

  it('is refused by ingest when signed with another secret, and rejects', async () => {
    const sink = createHttpIngestSink({ url: ingest.url, secret: 'wrong', post });
    await expect(sink.write(batch)).rejects.toThrow(/ingest answered 401/);
    expect(ingest.refused).toBe(1);
    expect(ingest.batches).toHaveLength(0);
  });

  it('rejects on any status but 200, and when ingest cannot be reached', async () => {
    const sink = createHttpIngestSink({ url: ingest.url, secret, post });
    for (const status of [500, 503, 202, 204]) {
      ingest.failWith = status;
      await expect(sink.write(batch), String(status)).rejects.toBeInstanceOf(IngestWriteError);
    }
    const down = createHttpIngestSink({ url: 'http://127.0.0.1:9/internal/ingest', secret, post });
    await expect(down.write(batch)).rejects.toThrow(/ingest unreachable/);
  });

  it('never follows a redirect: the signed batch goes to the configured ingest only', async () => {
    const elsewhere = await startRecordingServer();
    const previous = ingest.server.respond;
    try {
      for (const status of [301, 302, 307, 308]) {
        ingest.server.respond = () => ({
          status,
          headers: { location: `${elsewhere.url}/collect` },
        });
        const sink = createHttpIngestSink({ url: ingest.url, secret, post });
        // Both transports hand the 3xx over as an answer, which the sink refuses.
        await expect(sink.write(batch), String(status)).rejects.toThrow(
          new RegExp(`ingest answered ${status}`),
        );
      }
      expect(elsewhere.requests).toEqual([]);
    } finally {
      ingest.server.respond = previous;
      await elsewhere.close();
    }
  });

  it('gives up after its timeout', async () => {
    const previous = ingest.server.respond;
    ingest.server.respond = () => new Promise(() => undefined);
    try {
      const sink = createHttpIngestSink({ url: ingest.url, secret, timeoutMs: 50, post });
      await expect(sink.write(batch)).rejects.toThrow(/ingest unreachable/);
    } finally {
      ingest.server.respond = previous;
    }
  });
});
