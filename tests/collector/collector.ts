import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  clientEventSchema,
  describeIssues,
  eventBatchEnvelopeSchema,
} from '@pulse/contract/schema';
import type { RejectedEvent } from '@pulse/contract';

/** How the collector answers the next requests. */
export type CollectorMode =
  | { kind: 'ok' }
  | { kind: 'status'; status: number; headers?: Record<string, string> }
  | { kind: 'hang' }
  | { kind: 'drop-connection' }
  /** Takes the request in (counts its events, keeps its receipts), then drops the connection. */
  | { kind: 'lose-answer' };

export interface ReceivedRequest {
  at: number;
  url: string;
  status: number;
  body: unknown;
}

export interface Collector {
  url: string;
  requests: ReceivedRequest[];
  /** Accepted deliveries per event_id: 1 is right, more is a wire duplicate. */
  counts: Map<string, number>;
  /** Every accepted event, duplicates included, in arrival order. */
  events: Array<Record<string, unknown> & { event_id: string; event_name: string }>;
  /** Answers the next `n` requests with `mode`, then goes back to accepting. */
  failNext(n: number, mode: CollectorMode): void;
  setMode(mode: CollectorMode): void;
  close(): Promise<void>;
}

/**
 * A stand-in for the edge in SDK tests: validates batches with the contract schema, answers
 * like the edge (per-event rejections, CORS) and records every event_id it accepted. It can
 * fail on command. It is a test collector, not the product: the real edge lives in edge/.
 */
export async function createCollector(port = 0): Promise<Collector> {
  const requests: ReceivedRequest[] = [];
  const counts = new Map<string, number>();
  const events: Collector['events'] = [];
  const receipts = new Set<string>();
  let mode: CollectorMode = { kind: 'ok' };
  let failures: { n: number; mode: CollectorMode } | undefined;
  const hanging = new Set<ServerResponse>();

  const answer = (
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    res.setHeader('access-control-allow-origin', req.headers.origin ?? '*');
    // Without this a cross-origin page cannot read Retry-After (the edge sends it too).
    res.setHeader('access-control-expose-headers', 'retry-after');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-methods': 'POST',
        'access-control-allow-headers': 'content-type',
      });
      return res.end();
    }
    const record = (status: number, body: unknown) =>
      requests.push({ at: Date.now(), url: req.url ?? '', status, body });
    const current = failures && failures.n > 0 ? failures.mode : mode;
    if (failures && failures.n > 0) failures.n--;
    if (current.kind === 'hang') {
      record(0, raw);
      hanging.add(res);
      return;
    }
    if (current.kind === 'drop-connection') {
      record(0, raw);
      return req.socket.destroy();
    }
    // The answer is lost on the way back: the connection drops instead.
    const reply: typeof answer =
      current.kind === 'lose-answer' ? (r) => void r.socket?.destroy() : answer;
    if (current.kind === 'status') {
      record(current.status, raw);
      return answer(
        res,
        current.status,
        { error: { code: 'unavailable', message: 'failing on command' } },
        current.headers,
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      record(400, raw);
      return reply(res, 400, { error: { code: 'invalid_json', message: 'body is not JSON' } });
    }
    if (req.url?.startsWith('/v1/receipts')) {
      // Like the edge: which of these ids came in a batch sent at unload?
      const ids = (body as { event_ids?: unknown }).event_ids;
      const received = Array.isArray(ids)
        ? ids.filter((id): id is string => typeof id === 'string' && receipts.has(id))
        : [];
      record(200, body);
      return reply(res, 200, { received });
    }
    const envelope = eventBatchEnvelopeSchema.safeParse(body);
    if (!envelope.success) {
      record(400, body);
      return reply(res, 400, {
        error: { code: 'invalid_batch', message: describeIssues(envelope.error) },
      });
    }
    const rejected: RejectedEvent[] = [];
    envelope.data.events.forEach((event, index) => {
      const parsed = clientEventSchema.safeParse(event);
      if (parsed.success) {
        counts.set(parsed.data.event_id, (counts.get(parsed.data.event_id) ?? 0) + 1);
        events.push(parsed.data);
      } else {
        const id = (event as { event_id?: unknown } | null)?.event_id;
        rejected.push({
          index,
          event_id: typeof id === 'string' ? id : null,
          code: 'invalid_event',
          message: describeIssues(parsed.error),
        });
      }
    });
    if (envelope.data.unload)
      for (const e of envelope.data.events)
        receipts.add((e as { event_id?: string }).event_id ?? '');
    record(200, body);
    reply(res, 200, { accepted: envelope.data.events.length - rejected.length, rejected });
  };

  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (raw += chunk));
    req.on('end', () => handle(req, res, raw));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${bound}`,
    requests,
    counts,
    events,
    failNext: (n, m) => (failures = { n, mode: m }),
    setMode: (m) => {
      mode = m;
      if (m.kind !== 'hang') for (const res of hanging) res.destroy();
      if (m.kind !== 'hang') hanging.clear();
    },
    close: () =>
      new Promise((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
