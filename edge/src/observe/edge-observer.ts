import type { MiddlewareHandler } from 'hono';
import type { EdgeEnv } from '../deps';
import { isEdgeError } from '../errors/edge-error';

/** How one request was answered, for metrics and logs. */
export interface RequestOutcome {
  /** The customer of the write key, or null when the request was refused before the key. */
  customer: string | null;
  /** The matched route pattern (`/v1/batch`), never the raw path: the label stays bounded. */
  route: string;
  status: number;
  /** `ok` for a success, else the contract's error code (`rate_limited`, `invalid_key`, …). */
  code: string;
}

/** What one ingest request handed to the sink, once it was durable. */
export interface IngestOutcome {
  customer: string;
  accepted: number;
  /** Refused events by error code. */
  rejected: Record<string, number>;
  /** Events the client reported dropping for storage space. */
  clientDropped: number;
}

/**
 * What the edge reports about itself; each runtime turns it into its own telemetry: Prometheus
 * counters on Node (adapters/node/prometheus-observer.ts), the Workers Analytics Engine and
 * structured logs on Workers (adapters/workers/analytics-observer.ts).
 */
export interface EdgeObserver {
  request(outcome: RequestOutcome): void;
  ingested(outcome: IngestOutcome): void;
}

/** Tells the observer how each request was answered, errors included (their code). */
export function observeRequests(observer: EdgeObserver | undefined): MiddlewareHandler<EdgeEnv> {
  return async (c, next) => {
    await next();
    if (!observer) return;
    const status = c.res.status;
    const error: unknown = c.error;
    observer.request({
      customer: c.get('keyConfig')?.customer_id ?? null,
      route: c.req.routePath,
      status,
      code: isEdgeError(error)
        ? error.code
        : status < 400
          ? 'ok'
          : status === 404
            ? 'not_found'
            : 'internal',
    });
  };
}
