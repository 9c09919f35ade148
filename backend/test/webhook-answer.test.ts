import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWebhook, type WebhookBody } from '../src/triggers/webhook-request';

/**
 * A receiver is outside Pulse and may be hostile: its answer's body is never read, so neither
 * a gzip bomb nor a body that never ends can cost a delivery memory or time.
 */
let server: Server;
let url: string;
/** Chunks the receiver wrote before the client went away. */
let written = 0;
beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    // A body that does not end while the client listens (bounded: 30 s at most).
    const until = Date.now() + 30_000;
    const timer = setInterval(() => {
      if (res.destroyed || Date.now() > until) {
        clearInterval(timer);
        res.end();
      } else {
        written++;
        res.write(Buffer.alloc(1024));
      }
    }, 20);
    res.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const body: WebhookBody = {
  id: 'k1',
  type: 'segment.enter',
  trigger_id: 't1',
  customer_id: 'cust_a',
  segment_id: 's1',
  profile_id: 'p1',
  at: '2025-01-21T10:30:00.000Z',
  reason: 'rule',
};

describe('postWebhook', () => {
  it('takes the status of an answer without reading its body', async () => {
    // Reading the body (as before) waited for an end that never comes, until the POST's
    // time-out turned a delivered 200 into a failure to retry.
    const answer = await postWebhook(globalThis.fetch, { url, secret: 'secret' }, body);
    expect(answer).toMatchObject({ ok: true, status: 200 });
    // The connection was let go at once: reading until the time-out took ~500 chunks.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(written).toBeLessThan(100);
  });
});
