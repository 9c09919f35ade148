import { createServer, type IncomingHttpHeaders } from 'node:http';
import { rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  backendDecidePath,
  SIGNATURE_HEADER,
  signBody,
  verifyBody,
  type DecideResponse,
  type PulseEvent,
} from '@pulse/contract';
import { startBackend, type Backend } from '../src/start-backend';
import { changeKey } from '../src/triggers/change-key';
import type { Delivery } from '../src/triggers/delivery-log';
import { WEBHOOK_RETRY } from '../src/triggers/retry-policy';
import { startWebhookDispatcher, type WebhookDispatcher } from '../src/triggers/webhook-dispatcher';
import type { WebhookBody } from '../src/triggers/webhook-request';
import { makeEvent, tempWarehousePath } from './warehouse-fixtures';

/** The customer's webhook receiver: records each POST and answers from a script of statuses. */
async function startReceiver() {
  const requests: Array<{ path: string; headers: IncomingHttpHeaders; body: string }> = [];
  const script: number[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      res.writeHead(script.shift() ?? 200).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    /** Statuses for the next requests, in order; then 200. */
    answer: (...statuses: number[]) => script.push(...statuses),
    to: (path: string) => requests.filter((r) => r.path === path),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const SECRET = 'x';
const KEYS = { sk_a: 'cust_a', sk_b: 'cust_b' };
const HOOK_SECRET = 'whsec_test_0123456789abcdef';
let dir: string;
let backend: Backend;
let dispatcher: WebhookDispatcher;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let sequence = 0;

const api = (key: string, method: string, path: string, body?: unknown) =>
  fetch(`${backend.url}/v1/triggers${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

const pageViews = (customer: string, visitor: string, url: string, count: number) =>
  Array.from({ length: count }, () =>
    makeEvent({
      event_id: `evt-${++sequence}`,
      customer_id: customer,
      visitor_id: visitor,
      properties: { url },
      timestamp: new Date(Date.now() - 60_000 + sequence).toISOString(),
    }),
  );

const identify = (customer: string, visitor: string, user: string): PulseEvent =>
  makeEvent({
    event_id: `evt-${++sequence}`,
    customer_id: customer,
    visitor_id: visitor,
    user_id: user,
    event_type: 'identify',
    event_name: 'identify',
    timestamp: new Date(Date.now() - 30_000 + sequence).toISOString(),
  });

/** Processes events and waits until their webhooks are delivered or given up. */
const processEvents = async (events: PulseEvent[]) => {
  const batch = await backend.processor.process(events);
  await dispatcher.idle();
  return batch;
};

const deliveries = async (key: string, id: string) => {
  const res = await api(key, 'GET', `/${id}/deliveries`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { deliveries: Delivery[] }).deliveries;
};

/** GETs the backend's decide over HTTP, with the signature header when given one. */
const getDecide = (path: string, signature?: string) =>
  fetch(`${backend.url}${path}`, {
    headers: signature ? { [SIGNATURE_HEADER]: signature } : {},
  });

/**
 * Calls decide the way the edge does: customer from the write key, signed with the secret,
 * and a user only when the page proved it to the edge.
 */
const decide = async (customer: string, visitor: string, secret = SECRET, provenUser?: string) => {
  const path = backendDecidePath(customer, visitor, provenUser);
  return getDecide(path, await signBody(secret, path));
};

const segment = (id: string, url: string, minCount: number) => ({
  id,
  rule: {
    event_type: 'page_view' as const,
    where: { 'properties.url': url },
    min_count: minCount,
    window: '7d',
  },
});

beforeAll(async () => {
  dir = tempWarehousePath();
  backend = await startBackend({
    dataDir: dir,
    port: 0,
    ingestSecret: SECRET,
    tickMs: 0,
    apiKeys: KEYS,
    // The recording receiver listens on 127.0.0.1.
    allowPrivateWebhooks: true,
  });
  // The backend started the dispatcher with its processor: a second start on the same feed
  // returns that one, which the tests wait on and stop.
  dispatcher = startWebhookDispatcher({ store: backend.store, live: backend.live });
  receiver = await startReceiver();
  for (const customer of ['cust_a', 'cust_b']) {
    await backend.store.putDefinition(customer, segment('pricing_fans', '/pricing', 3));
    await backend.store.putDefinition(customer, segment('checkout', '/checkout', 1));
  }
});

afterAll(async () => {
  await dispatcher?.stop();
  await backend?.stop();
  await receiver?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('trigger rules API', () => {
  it('refuses requests without a valid secret key', async () => {
    const none = await fetch(`${backend.url}/v1/triggers`);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { code: 'missing_key' } });
    const wrong = await api('sk_nope', 'GET', '');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: { code: 'invalid_key' } });
  });

  it('refuses bad triggers with a clear error', async () => {
    const cases: Array<[unknown, string, RegExp]> = [
      ['{nope', 'invalid_json', /JSON/],
      [{ segment_id: 'checkout', on: 'enter' }, 'invalid_trigger', /action/],
      [
        {
          segment_id: 'checkout',
          on: 'enter',
          action: { type: 'webhook', url: 'ftp://x.example' },
        },
        'invalid_trigger',
        /action\.url/,
      ],
      [
        { segment_id: 'checkout', on: 'exit', action: { type: 'client', name: 'banner' } },
        'invalid_trigger',
        /on: .*enter/,
      ],
      [
        { segment_id: 'nope', on: 'enter', action: { type: 'client', name: 'banner' } },
        'unknown_segment',
        /nope/,
      ],
    ];
    for (const [body, code, message] of cases) {
      const res = await fetch(`${backend.url}/v1/triggers`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk_a' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      expect(res.status).toBe(400);
      const { error } = (await res.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe(code);
      expect(error.message).toMatch(message);
    }
  });

  it('creates, reads, replaces and deletes a trigger, never reading back its secret', async () => {
    const created = await api('sk_a', 'POST', '', {
      segment_id: 'checkout',
      on: 'exit',
      action: { type: 'webhook', url: `${receiver.url}/crud` },
    });
    expect(created.status).toBe(201);
    const trigger = (await created.json()) as { id: string; action: { secret: string } };
    expect(trigger.action.secret).toMatch(/^whsec_/);
    const read = (await (await api('sk_a', 'GET', `/${trigger.id}`)).json()) as {
      action: Record<string, unknown>;
    };
    expect(read.action).toEqual({ type: 'webhook', url: `${receiver.url}/crud` });
    const replaced = await api('sk_a', 'PUT', `/${trigger.id}`, {
      segment_id: 'checkout',
      on: 'enter',
      action: { type: 'webhook', url: `${receiver.url}/crud2` },
    });
    expect(replaced.status).toBe(200);
    // The secret is kept across a replace that does not name one.
    expect(((await replaced.json()) as typeof trigger).action.secret).toBe(trigger.action.secret);
    const again = await api('sk_a', 'POST', '', {
      id: trigger.id,
      segment_id: 'checkout',
      on: 'enter',
      action: { type: 'client', name: 'x' },
    });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: { code: 'trigger_exists' } });
    expect((await api('sk_a', 'DELETE', `/${trigger.id}`)).status).toBe(204);
    expect((await api('sk_a', 'GET', `/${trigger.id}`)).status).toBe(404);
    expect((await api('sk_a', 'DELETE', `/${trigger.id}`)).status).toBe(404);
  });
});

describe('webhooks', () => {
  it('posts a signed webhook once when a profile enters the segment, even when the batch is replayed', async () => {
    const res = await api('sk_a', 'POST', '', {
      id: 'fans_hook',
      segment_id: 'pricing_fans',
      on: 'enter',
      action: { type: 'webhook', url: `${receiver.url}/fans`, secret: HOOK_SECRET },
    });
    expect(res.status).toBe(201);
    const events = pageViews('cust_a', 'visitor-fan', '/pricing', 3);
    await processEvents(events.slice(0, 2));
    expect(receiver.to('/fans')).toHaveLength(0);
    const batch = await processEvents(events.slice(2));
    expect(batch.changes).toMatchObject([{ id: 'visitor-fan', change: 'enter' }]);

    const [call, ...more] = receiver.to('/fans');
    expect(more).toHaveLength(0);
    const header = call!.headers[SIGNATURE_HEADER] as string;
    expect(await verifyBody(HOOK_SECRET, header, call!.body)).toEqual({ ok: true });
    expect((await verifyBody('another-secret-0000', header, call!.body)).ok).toBe(false);
    const body = JSON.parse(call!.body) as WebhookBody;
    expect(body).toMatchObject({
      type: 'segment.enter',
      trigger_id: 'fans_hook',
      customer_id: 'cust_a',
      segment_id: 'pricing_fans',
      profile_id: 'visitor-fan',
      reason: 'rule',
    });
    expect(call!.headers['idempotency-key']).toBe(body.id);

    // The same events again change nothing; the same batch heard again (a replay after a
    // crash publishes it once more) finds its delivery and is not posted twice.
    await processEvents(events);
    backend.live.publish(batch);
    await dispatcher.idle();
    expect(receiver.to('/fans')).toHaveLength(1);
    const log = await deliveries('sk_a', 'fans_hook');
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({
      key: body.id,
      status: 'delivered',
      attempts: [{ status: 200 }],
    });
  });

  it('retries a failing receiver with growing back-off and delivers once it answers', async () => {
    await api('sk_a', 'POST', '', {
      id: 'checkout_hook',
      segment_id: 'checkout',
      on: 'enter',
      action: { type: 'webhook', url: `${receiver.url}/checkout`, secret: HOOK_SECRET },
    });
    receiver.answer(503, 500);
    await processEvents(pageViews('cust_a', 'visitor-buyer', '/checkout', 1));

    const calls = receiver.to('/checkout');
    expect(calls.map((c) => c.headers['idempotency-key'])).toEqual(
      Array(3).fill(calls[0]!.headers['idempotency-key']),
    );
    expect(new Set(calls.map((c) => c.body)).size).toBe(1);
    for (const c of calls) {
      expect(await verifyBody(HOOK_SECRET, c.headers[SIGNATURE_HEADER] as string, c.body)).toEqual({
        ok: true,
      });
    }
    const [delivery] = await deliveries('sk_a', 'checkout_hook');
    expect(delivery!.status).toBe('delivered');
    const attempts = delivery!.attempts;
    expect(attempts.map((a) => a.status)).toEqual([503, 500, 200]);
    expect(attempts[0]!.error).toMatch(/503/);
    // Equal jitter: the n-th back-off lies in [step/2, step], the step doubling each time.
    const base = WEBHOOK_RETRY.baseMs;
    expect(attempts[0]!.retry_in_ms).toBeGreaterThanOrEqual(base / 2);
    expect(attempts[0]!.retry_in_ms).toBeLessThanOrEqual(base);
    expect(attempts[1]!.retry_in_ms).toBeGreaterThanOrEqual(base);
    expect(attempts[1]!.retry_in_ms).toBeLessThanOrEqual(2 * base);
    expect(attempts[2]!.retry_in_ms).toBeUndefined();
    for (let i = 1; i < attempts.length; i++) {
      const waited = Date.parse(attempts[i]!.at) - Date.parse(attempts[i - 1]!.at);
      expect(waited).toBeGreaterThanOrEqual(attempts[i - 1]!.retry_in_ms!);
    }
  });
  it('resumes a delivery left pending by a stopped dispatcher', async () => {
    await api('sk_a', 'PUT', '/checkout_hook', {
      segment_id: 'checkout',
      on: 'enter',
      action: { type: 'webhook', url: `${receiver.url}/resume`, secret: HOOK_SECRET },
    });
    receiver.answer(503);
    await backend.processor.process(pageViews('cust_a', 'visitor-resume', '/checkout', 1));
    const pending = async () =>
      (await deliveries('sk_a', 'checkout_hook')).find((d) => d.change.id === 'visitor-resume');
    for (let i = 0; i < 200 && !(await pending())?.attempts.length; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // Stopped during its back-off: the log keeps it pending, as a crash would leave it.
    await dispatcher.stop();
    expect(await pending()).toMatchObject({ status: 'pending', attempts: [{ status: 503 }] });
    dispatcher = startWebhookDispatcher({
      store: backend.store,
      live: backend.live,
      allowPrivateNetworks: true,
    });
    // Wait for the resumed delivery (idle() covers it once the resume scan has started it).
    await dispatcher.idle();
    expect(await pending()).toMatchObject({
      status: 'delivered',
      attempts: [{ status: 503 }, { status: 200 }],
    });
    const calls = receiver.to('/resume');
    expect(calls).toHaveLength(2);
    expect(calls[1]!.headers['idempotency-key']).toBe(calls[0]!.headers['idempotency-key']);
  });

  it('has a change in the delivery log by the time recorded() resolves', async () => {
    const change = {
      customer_id: 'cust_a',
      segment_id: 'checkout',
      id: 'visitor-recorded',
      change: 'enter' as const,
      at: new Date().toISOString(),
      reason: 'rule' as const,
    };
    backend.live.publish({
      events: 0,
      eventKeys: [],
      receivedAt: [],
      changes: [change],
      links: [],
    });
    await dispatcher.recorded();
    const log = await deliveries('sk_a', 'checkout_hook');
    expect(log.find((d) => d.change.id === 'visitor-recorded')?.key).toBe(changeKey(change));
    await dispatcher.idle();
  });
});

describe('decide', () => {
  it('returns the segments and client actions of a member, and nothing for a non-member', async () => {
    const created = await api('sk_a', 'POST', '', {
      id: 'fans_banner',
      segment_id: 'pricing_fans',
      on: 'enter',
      action: { type: 'client', name: 'show_banner', payload: { text: '20% off' } },
    });
    expect(created.status).toBe(201);
    await processEvents(pageViews('cust_a', 'visitor-member', '/pricing', 3));

    const member = await decide('cust_a', 'visitor-member');
    expect(member.status).toBe(200);
    expect((await member.json()) as DecideResponse).toEqual({
      visitor_id: 'visitor-member',
      id: 'visitor-member',
      segments: ['pricing_fans'],
      actions: [{ trigger_id: 'fans_banner', name: 'show_banner', payload: { text: '20% off' } }],
    });
    const stranger = await decide('cust_a', 'visitor-stranger');
    expect(await stranger.json()).toEqual({
      visitor_id: 'visitor-stranger',
      id: 'visitor-stranger',
      segments: [],
      actions: [],
    });
  });

  it('answers for the user a visitor is linked to, with history from every device', async () => {
    await processEvents(pageViews('cust_a', 'visitor-laptop', '/pricing', 2));
    await processEvents(pageViews('cust_a', 'visitor-phone', '/pricing', 1));
    expect(
      ((await (await decide('cust_a', 'visitor-laptop')).json()) as DecideResponse).segments,
    ).toEqual([]);
    await processEvents([
      identify('cust_a', 'visitor-laptop', 'user-9'),
      identify('cust_a', 'visitor-phone', 'user-9'),
    ]);
    const answer = (await (
      await decide('cust_a', 'visitor-phone', SECRET, 'user-9')
    ).json()) as DecideResponse;
    expect(answer).toMatchObject({
      visitor_id: 'visitor-phone',
      id: 'user-9',
      segments: ['pricing_fans'],
    });
    expect(answer.actions.map((a) => a.name)).toEqual(['show_banner']);
  });

  it('tells the public key nothing about an identified user without proof', async () => {
    // The leak: a visitor id revealed the user it was linked to and that user's segments, and
    // a user id passed as a visitor id answered the user's segments and client actions.
    await processEvents(pageViews('cust_a', 'visitor-tablet', '/pricing', 3));
    await processEvents([identify('cust_a', 'visitor-tablet', 'user-10')]);
    const nothing = { segments: [], actions: [] };
    for (const asked of ['visitor-tablet', 'user-10']) {
      const answer = (await (await decide('cust_a', asked)).json()) as DecideResponse;
      expect(answer).toEqual({ visitor_id: asked, id: asked, ...nothing });
    }
    const proven = (await (
      await decide('cust_a', 'visitor-tablet', SECRET, 'user-10')
    ).json()) as DecideResponse;
    expect(proven).toMatchObject({ id: 'user-10', segments: ['pricing_fans'] });
  });

  it('agrees with the edge on the signed path, for ids URL parsers re-encode', async () => {
    const odd = "visitor one/ü&x='y'+z";
    await processEvents(pageViews('cust_a', odd, '/checkout', 1));
    const res = await decide('cust_a', odd);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ visitor_id: odd, segments: ['checkout'] });
  });

  it('refuses calls not signed by the edge', async () => {
    const path = backendDecidePath('cust_a', 'visitor-member');
    const unsigned = await getDecide(path);
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toMatchObject({ error: { code: 'invalid_signature' } });
    expect((await decide('cust_a', 'visitor-member', 'not-the-secret')).status).toBe(401);
    // A signature for one customer does not open another's.
    const signed = await signBody(SECRET, path);
    const swapped = await getDecide(backendDecidePath('cust_b', 'visitor-member'), signed);
    expect(swapped.status).toBe(401);
    expect((await decide('cust_a', '')).status).toBe(400);
  });
});

describe('tenant isolation', () => {
  it("keeps one customer's triggers, deliveries, webhooks and decisions from another", async () => {
    const listB = (await (await api('sk_b', 'GET', '')).json()) as { triggers: unknown[] };
    expect(listB.triggers).toEqual([]);
    expect((await api('sk_b', 'GET', '/fans_hook')).status).toBe(404);
    expect((await api('sk_b', 'GET', '/fans_hook/deliveries')).status).toBe(404);
    expect((await api('sk_b', 'DELETE', '/fans_hook')).status).toBe(404);
    expect((await api('sk_a', 'GET', '/fans_hook')).status).toBe(200);

    // B's hook on its own segment of the same name hears B's members only.
    await api('sk_b', 'POST', '', {
      id: 'fans_hook',
      segment_id: 'pricing_fans',
      on: 'enter',
      action: { type: 'webhook', url: `${receiver.url}/b-fans`, secret: HOOK_SECRET },
    });
    await processEvents(pageViews('cust_a', 'visitor-a2', '/pricing', 3));
    expect(receiver.to('/b-fans')).toHaveLength(0);
    await processEvents(pageViews('cust_b', 'visitor-a2', '/pricing', 3));
    expect(
      receiver.to('/b-fans').map((r) => (JSON.parse(r.body) as WebhookBody).customer_id),
    ).toEqual(['cust_b']);
    expect(receiver.to('/fans').map((r) => (JSON.parse(r.body) as WebhookBody).profile_id)).toEqual(
      ['visitor-fan', 'visitor-member', 'user-9', 'visitor-tablet', 'user-10', 'visitor-a2'],
    );
    // A's member is nobody to B.
    const b = (await (await decide('cust_b', 'visitor-member')).json()) as DecideResponse;
    expect(b).toMatchObject({ segments: [], actions: [] });
  });
});

describe('exits', () => {
  it('calls exit webhooks when the window slides past a member, and decide drops the segment', async () => {
    await api('sk_a', 'POST', '', {
      id: 'fans_exit',
      segment_id: 'pricing_fans',
      on: 'exit',
      action: { type: 'webhook', url: `${receiver.url}/fans-exit`, secret: HOOK_SECRET },
    });
    const batch = await backend.processor.tick(Date.now() + 8 * 864e5);
    await dispatcher.idle();
    const exits = receiver.to('/fans-exit').map((r) => JSON.parse(r.body) as WebhookBody);
    expect(exits.map((e) => e.type)).toEqual(Array(exits.length).fill('segment.exit'));
    expect(exits.map((e) => e.profile_id).sort()).toEqual(
      batch.changes
        .filter((c) => c.customer_id === 'cust_a' && c.segment_id === 'pricing_fans')
        .map((c) => c.id)
        .sort(),
    );
    expect(exits.map((e) => e.profile_id)).toContain('visitor-member');
    const after = (await (await decide('cust_a', 'visitor-member')).json()) as DecideResponse;
    expect(after).toMatchObject({ segments: [], actions: [] });
  });
});
