import { serve, type HttpBindings } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { Sink } from '@pulse/contract';
import { createApp } from '../../app';
import type { KeyConfigStore } from '../../config/key-config';
import { createDailySalt } from '../../enrich/ip-hash';
import { clientIpFromHeaders } from '../../enrich/request-facts';
import { createMemoryRateLimiter } from '../../rate-limit/memory-rate-limiter';
import type { RateLimiter } from '../../rate-limit/rate-limiter';
import { createHttpLegacyForwarder, type LegacyForwarder } from '../../sinks/legacy-forwarder';
import { createMemoryReceiptStore } from '../../receipts/memory-receipt-store';
import type { ReceiptStore } from '../../receipts/receipt-store';
import type { DecideBackend } from '../../routes/decide-backend';
import type { EdgeObserver } from '../../observe/edge-observer';
import type { EdgeLog, EdgeSpans } from '../../observe/edge-log';

export { createFileConfigStore, type FileConfigStoreOptions } from './file-config-store';
export { createPrometheusObserver } from './prometheus-observer';
export { createUndiciPost } from './undici-post';

/** Options of {@link startNodeEdge}. */
export interface NodeEdgeOptions {
  /** @default 0 (a free port) */
  port?: number;
  /** @default '127.0.0.1' */
  hostname?: string;
  /** Key config: `createFileConfigStore(path)`, or `createMemoryConfigStore(JSON.parse(env))`. */
  config: KeyConfigStore;
  /** Where events go: backend's KafkaSink in production, any contract Sink. */
  sink: Sink;
  /** Long-lived secret the daily IP salts derive from; the same on every edge instance. */
  ipSaltSecret: string;
  /** @default an in-process token bucket per customer */
  limiter?: RateLimiter;
  /** @default HTTP forwarding */
  legacy?: LegacyForwarder;
  /** @default receipts kept in this process for an hour */
  receipts?: ReceiptStore;
  /** The backend's decide (`createHttpDecideBackend`). @default none: decide answers 503 */
  decide?: DecideBackend;
  /**
   * Take the client IP from `X-Forwarded-For` (behind a load balancer) instead of the socket.
   * @default false
   */
  trustProxy?: boolean;
  /** Hears every answer and ingest (`createPrometheusObserver` for `/metrics`). @default none */
  observer?: EdgeObserver;
  /** The structured log (a pino logger). @default JSON lines on stdout */
  log?: EdgeLog;
  /** Records each request's span (`createTracing` of the backend, over OTLP). @default none */
  spans?: EdgeSpans;
}

/** A running Node edge. */
export interface NodeEdge {
  /** `http://host:port`, with the port actually bound. */
  url: string;
  port: number;
  /** Stops accepting connections and resolves once the server is closed. */
  close(): Promise<void>;
}

/**
 * Starts the edge on Node with `@hono/node-server`: the same app as on Workers, with the
 * in-process rate limiter and the sink it is given.
 *
 * @example
 * const edge = await startNodeEdge({ port: 8787, config, sink: kafkaSink, ipSaltSecret });
 * // … later
 * await edge.close();
 */
export async function startNodeEdge(options: NodeEdgeOptions): Promise<NodeEdge> {
  const { port = 0, hostname = '127.0.0.1', trustProxy = false } = options;
  const app = createApp({
    config: options.config,
    limiter: options.limiter ?? createMemoryRateLimiter(),
    sink: options.sink,
    legacy: options.legacy ?? createHttpLegacyForwarder(),
    receipts: options.receipts ?? createMemoryReceiptStore(),
    decide: options.decide,
    observer: options.observer,
    log: options.log,
    spans: options.spans,
    ipSalt: createDailySalt(options.ipSaltSecret),
    clientIp: trustProxy
      ? clientIpFromHeaders
      : (c) => (c.env as HttpBindings).incoming.socket.remoteAddress ?? null,
  });
  const address = await new Promise<{ server: ReturnType<typeof serve>; info: AddressInfo }>(
    (resolve, reject) => {
      const server = serve({ fetch: app.fetch, port, hostname }, (info) =>
        resolve({ server, info }),
      );
      server.once('error', reject);
    },
  );
  const { server, info } = address;
  return {
    url: `http://${hostname}:${info.port}`,
    port: info.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
