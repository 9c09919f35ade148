import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../errors/api-error';
import { fetchLegacyCounts } from './legacy-counts';

const query = {
  customer: 'cust_a',
  from: '2026-11-01T10:00:00.000Z',
  to: '2026-11-01T12:00:00.000Z',
};
const row = { hour: '2026-11-01T10:00:00.000Z', event_type: 'page_view', count: 1 };

/** The legacy pipeline's count endpoint (outside Pulse): answers as `answer` says. */
let server: Server | undefined;
async function legacyAnswering(answer: (res: ServerResponse) => void): Promise<string> {
  server = createServer((_req, res) => answer(res));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/counts`;
}
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

async function refusal(url: string, limits?: Parameters<typeof fetchLegacyCounts>[3]) {
  const error: unknown = await fetchLegacyCounts(fetch, url, query, limits).then(
    () => new Error('the answer was taken'),
    (e: unknown) => e,
  );
  expect(error instanceof ApiError && error.code).toBe('legacy_unavailable');
  return (error as Error).message;
}

describe('the legacy count answer, bounded', () => {
  it('takes up to 10,000 rows and refuses one more', async () => {
    let rows = 10_000;
    const url = await legacyAnswering((res) =>
      res.end(JSON.stringify({ counts: Array.from({ length: rows }, () => row) })),
    );
    expect((await fetchLegacyCounts(fetch, url, query)).counts).toHaveLength(10_000);
    rows = 10_001;
    expect(await refusal(url)).toMatch(/counts/);
  });

  it('stops reading an answer larger than its byte limit, and says so', async () => {
    let written = 0;
    const url = await legacyAnswering((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"counts":[');
      // An endless answer: only the byte limit ends it.
      const more = () => {
        while (res.write(`${JSON.stringify(row)},`)) written += 1;
        if (!res.destroyed) res.once('drain', more);
      };
      more();
    });
    expect(await refusal(url, { maxBytes: 64 * 1024 })).toMatch(/more than 65536 bytes/);
    // It stopped near the limit instead of reading on until the server gave up.
    expect(written * JSON.stringify(row).length).toBeLessThan(16 * 1024 * 1024);
  });

  it('gives up on an answer that does not come in time', async () => {
    const url = await legacyAnswering((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"counts":['); // and nothing more
    });
    expect(await refusal(url, { timeoutMs: 300 })).toMatch(/legacy counts from http/);
  });
});
