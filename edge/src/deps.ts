import type { Context } from 'hono';
import type { Sink } from '@pulse/contract';
import type { KeyConfig, KeyConfigStore } from './config/key-config';
import type { RateLimiter } from './rate-limit/rate-limiter';
import type { DecideBackend } from './routes/decide-backend';
import type { ReceiptStore } from './receipts/receipt-store';
import type { EdgeObserver } from './observe/edge-observer';
import type { EdgeLog, EdgeSpans } from './observe/edge-log';
import type { LegacyForwarder } from './sinks/legacy-forwarder';

/**
 * Everything the edge app needs from its runtime. The app never imports an adapter: Workers
 * and Node each build these from their own bindings (KV and a Durable Object, or a file and
 * a Map) and hand them to `createApp`.
 */
export interface EdgeDeps {
  /** Write key → customer, origins, rate limit, routing. */
  config: KeyConfigStore;
  limiter: RateLimiter;
  /** Where accepted events and dead letters go; `write` resolves only once they are durable. */
  sink: Sink;
  /** Receipts of batches sent at unload (`POST /v1/receipts`). @default none: clients resend */
  receipts?: ReceiptStore;
  /** The backend's decide (`GET /v1/decide`). @default none: decide answers 503 */
  decide?: DecideBackend;
  /** The legacy pipeline, for customers in `shadow` or `legacy` routing. */
  legacy: LegacyForwarder;
  /** The secret salt of a UTC day (`2025-01-21`) for hashing IPs; rotates daily. */
  ipSalt: (day: string) => string | Promise<string>;
  /**
   * The connecting client's IP. On Workers `cf-connecting-ip` is set by Cloudflare; the Node
   * adapter reads the socket. @default the `cf-connecting-ip`, then `x-forwarded-for` header
   */
  clientIp?: (c: Context) => string | null;
  /** Clock in milliseconds, for tests. @default Date.now */
  now?: () => number;
  /** `Retry-After` seconds sent with a 503 when the durable write failed. @default 5 */
  unavailableRetryAfterSeconds?: number;
  /** Hears how every request was answered and what each ingest wrote (metrics, logs). */
  observer?: EdgeObserver;
  /** The structured log (pino on Node). @default `jsonLog()`: JSON lines on console.log */
  log?: EdgeLog;
  /** Records each request's span (the Node edge over OTLP). @default ids only, no export */
  spans?: EdgeSpans;
}

/** Per-request values the middleware chain hands on to the routes. */
export interface EdgeVariables {
  /** The request body as text (forwarded as is to the legacy pipeline). */
  rawBody: string;
  /** The request body, parsed once. */
  body: unknown;
  /** Byte length of the body, so routes can skip per-event size checks on small bodies. */
  bodyBytes: number;
  writeKey: string;
  keyConfig: KeyConfig;
  /** This request's span, a child of the client's `traceparent` (observe/edge-log.ts). */
  traceparent: string;
  /** The log, its lines bound to this request's `trace_id`. */
  log: EdgeLog;
}

/** The Hono environment of the edge app. */
export interface EdgeEnv {
  Variables: EdgeVariables;
}
