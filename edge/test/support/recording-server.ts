import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** What the server answers to a request (`headers`: any more, such as a redirect's location). */
export interface Answer {
  status: number;
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** What the server answers to a request. */
export type Responder = (request: RecordedRequest) => Answer | Promise<Answer>;

export interface RecordingServer {
  url: string;
  requests: RecordedRequest[];
  respond: Responder;
  close(): Promise<void>;
}

/**
 * A small HTTP server on 127.0.0.1 and a free port that records every request: the legacy
 * pipeline (a system outside Pulse) in routing tests, and a signature-checking ingest.
 */
export async function startRecordingServer(
  respond: Responder = () => ({
    status: 200,
    body: '{"ok":true}',
    contentType: 'application/json',
  }),
): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  const state = { respond };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      Promise.resolve(state.respond(recorded))
        .then((answer) => {
          res.writeHead(answer.status, {
            'content-type': answer.contentType ?? 'text/plain',
            ...answer.headers,
          });
          res.end(answer.body ?? '');
        })
        .catch((error: unknown) => {
          res.writeHead(599);
          res.end(String(error));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get respond() {
      return state.respond;
    },
    set respond(next: Responder) {
      state.respond = next;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
