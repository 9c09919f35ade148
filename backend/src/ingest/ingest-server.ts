import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createIngestApp, type IngestAppOptions } from './ingest-app';

export interface IngestServer {
  url: string;
  close(): Promise<void>;
}

/** Runs backend ingest on Node; `port: 0` picks a free port. */
export function startIngest(
  options: IngestAppOptions & { port: number; hostname?: string },
): Promise<IngestServer> {
  const app = createIngestApp(options);
  return new Promise((resolve) => {
    const server: ServerType = serve(
      { fetch: app.fetch, port: options.port, hostname: options.hostname ?? '127.0.0.1' },
      (info: AddressInfo) =>
        resolve({
          url: `http://127.0.0.1:${info.port}`,
          close: () =>
            new Promise((done) => {
              if ('closeAllConnections' in server) server.closeAllConnections();
              server.close(() => done());
            }),
        }),
    );
  });
}
