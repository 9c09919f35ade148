import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend } from '../src/start-backend';
import { isInternalAddress, publicOnlyFetch } from '../src/triggers/webhook-guard';
import { postWebhook, type WebhookBody } from '../src/triggers/webhook-request';
import { tempWarehousePath } from './warehouse-fixtures';

let server: Server;
let port: number;
let received = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    received++;
    req.resume();
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const body: WebhookBody = {
  id: 'chg_1',
  type: 'segment.enter',
  trigger_id: 'hook',
  customer_id: 'cust_a',
  segment_id: 'fans',
  profile_id: 'u1',
  at: '2026-12-04T10:00:00.000Z',
  reason: 'rule',
};
const SECRET = 'a-webhook-secret-of-some-length';

describe('webhook address guard', () => {
  it('tells internal addresses from public ones, IPv4 and IPv6', () => {
    const internal = [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.5.4',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '::1',
      '::',
      '[::1]',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      '::ffff:7f00:1',
      'localhost',
    ];
    const external = [
      '8.8.8.8',
      '93.184.216.34',
      '172.32.0.1',
      '::ffff:8.8.8.8',
      '2606:4700:4700::1111',
    ];
    expect(internal.filter((address) => !isInternalAddress(address))).toEqual([]);
    expect(external.filter((address) => isInternalAddress(address))).toEqual([]);
  });

  it('refuses a webhook to a loopback IP or a name resolving to one, before any request', async () => {
    // The receiver answers a plain fetch: the refusals below are the guard's doing.
    const control = await postWebhook(
      globalThis.fetch,
      { url: `http://127.0.0.1:${port}/`, secret: SECRET },
      body,
    );
    expect(control).toMatchObject({ ok: true, status: 200 });
    const before = received;

    const guarded = publicOnlyFetch();
    for (const url of [
      `http://127.0.0.1:${port}/`,
      `http://[::ffff:127.0.0.1]:${port}/`,
      `http://localhost:${port}/`,
    ]) {
      const answer = await postWebhook(guarded, { url, secret: SECRET }, body);
      expect(answer, url).toMatchObject({ ok: false, status: null });
      expect(answer.error, url).toMatch(/internal address: webhooks go to public addresses only/);
    }
    expect(received).toBe(before);
  });

  it('refuses a trigger naming an internal host when it is written, with a clear error', async () => {
    const dir = tempWarehousePath();
    const backend = await startBackend({
      dataDir: dir,
      port: 0,
      ingestSecret: 'guard-secret',
      tickMs: 0,
      apiKeys: { sk_guard: 'cust_guard' },
    });
    try {
      await backend.store.putDefinition('cust_guard', {
        id: 'fans',
        rule: { event_type: 'page_view', min_count: 1, window: '1d' },
      });
      const write = async (url: string) => {
        const res = await fetch(`${backend.url}/v1/triggers`, {
          method: 'POST',
          headers: { authorization: 'Bearer sk_guard', 'content-type': 'application/json' },
          body: JSON.stringify({
            segment_id: 'fans',
            on: 'enter',
            action: { type: 'webhook', url },
          }),
        });
        return {
          status: res.status,
          body: (await res.json()) as { error?: { code: string; message: string } },
        };
      };
      for (const url of [
        `http://127.0.0.1:${port}/hook`,
        'http://169.254.169.254/latest/meta-data/',
        'http://[::1]:8080/',
        'http://localhost:3000/hook',
        'http://api.localhost/hook',
      ]) {
        const answer = await write(url);
        expect(answer.status, url).toBe(400);
        expect(answer.body.error?.code, url).toBe('invalid_trigger');
        expect(answer.body.error?.message, url).toMatch(
          /^action\.url: \S+ is an internal address: webhooks go to public addresses only$/,
        );
      }
      // A public name is accepted; where it resolves is checked on every delivery.
      expect((await write('https://hooks.example.com/pulse')).status).toBe(201);
    } finally {
      await backend.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
