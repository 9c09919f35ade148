import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';
import {
  backendDecidePath,
  SIGNATURE_HEADER,
  verifyBody,
  type DecideResponse,
  type SinkBatch,
} from '@pulse/contract';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `POST` here: the signature-verifying ingest the worker's HttpIngestSink writes to. */
    ingestUrl: string;
    /** HMAC secret of that ingest, bound into the worker as INGEST_SECRET. */
    ingestSecret: string;
    /**
     * `GET /recorded`, `POST /down`, `POST /up`, `POST /redirect` of that ingest, for the tests
     * in workerd (`/up` also ends `/redirect`).
     */
    ingestControlUrl: string;
  }
}

type Handler = (
  req: IncomingMessage,
  body: string,
) => Promise<[number, unknown] | [number, unknown, Record<string, string>]>;

function serveJson(handler: Handler): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void handler(req, Buffer.concat(chunks).toString('utf8')).then(([status, value, more]) => {
        res.writeHead(status, { 'content-type': 'application/json', ...more });
        res.end(JSON.stringify(value));
      });
    });
  });
}

const listen = (server: Server, port: number) =>
  new Promise<number>((resolve) =>
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

/**
 * Starts, in Node, a stand-in for backend ingest on 127.0.0.1 and a free port: it verifies each
 * batch with the contract's `verifyBody` and records it. The tests run inside workerd; they
 * read the records and take the ingest down (it stops listening) and up again through a
 * second, control server.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const secret = `workers-test-${crypto.randomUUID()}`;
  // `redirecting`: ingest answers 307 to the control server's /elsewhere, which counts what reaches it.
  const state = { batches: [] as SinkBatch[], refused: 0, redirecting: false, elsewhere: 0 };
  let controlUrl = '';
  const ingest = serveJson(async (req, body) => {
    // The backend's decide lives beside ingest: the worker finds it at INGEST_URL's origin.
    if (req.url?.startsWith('/v1/decide?') && req.method === 'GET') {
      const query = new URL(req.url, 'http://ingest').searchParams;
      const [customer, visitor] = [query.get('customer_id') ?? '', query.get('visitor_id') ?? ''];
      const header = req.headers[SIGNATURE_HEADER];
      const path = backendDecidePath(customer, visitor);
      const check = await verifyBody(secret, typeof header === 'string' ? header : null, path);
      if (!check.ok) return [401, { error: { code: check.code } }];
      const answer: DecideResponse = {
        visitor_id: visitor,
        id: visitor,
        segments: [`seg-of-${customer}`],
        actions: [],
      };
      return [200, answer];
    }
    if (req.url !== '/internal/ingest' || req.method !== 'POST') return [404, {}];
    if (state.redirecting) return [307, {}, { location: `${controlUrl}/elsewhere` }];
    const header = req.headers[SIGNATURE_HEADER];
    const check = await verifyBody(secret, typeof header === 'string' ? header : null, body);
    if (!check.ok) {
      state.refused++;
      return [401, { error: { code: check.code } }];
    }
    state.batches.push(JSON.parse(body) as SinkBatch);
    return [200, { ok: true }];
  });
  const ingestPort = await listen(ingest, 0);
  const control = serveJson(async (req) => {
    if (req.url === '/control/recorded') return [200, state];
    if (req.url === '/control/down') {
      if (ingest.listening) await close(ingest);
      return [200, { listening: false }];
    }
    if (req.url === '/control/up') {
      if (!ingest.listening) await listen(ingest, ingestPort);
      state.redirecting = false;
      return [200, { listening: true }];
    }
    if (req.url === '/control/redirect') {
      state.redirecting = true;
      return [200, { redirecting: true }];
    }
    if (req.url === '/control/elsewhere') {
      state.elsewhere++;
      return [200, { ok: true }];
    }
    return [404, {}];
  });
  const controlPort = await listen(control, 0);
  controlUrl = `http://127.0.0.1:${controlPort}/control`;

  project.provide('ingestUrl', `http://127.0.0.1:${ingestPort}/internal/ingest`);
  project.provide('ingestSecret', secret);
  project.provide('ingestControlUrl', controlUrl);
  return async () => {
    await close(control);
    if (ingest.listening) await close(ingest);
  };
}
