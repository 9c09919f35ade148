import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import {
  LIMITS,
  type ErrorCode,
  type ErrorResponse,
  type Sink,
  type SinkBatch,
} from '@pulse/contract';
import { SIGNATURE_HEADER, verifyBody } from '@pulse/contract';
import { describeIssues, sinkBatchSchema } from '@pulse/contract/schema';
import { failureKind } from '../errors/failure-kind';

export interface IngestAppOptions {
  /** Shared secret of the HMAC signatures the edge puts on each batch. */
  secret: string;
  sink: Sink;
  /** Called for every batch that could not be made durable (for logs and metrics). */
  onSinkError?: (error: unknown) => void;
  /** Other routes served by the same server (the query APIs). */
  routes?: Hono;
}

const fail = (code: ErrorCode | 'invalid_signature', message: string): ErrorResponse =>
  ({ error: { code, message } }) as ErrorResponse;

/**
 * Largest signed batch: one edge request (LIMITS.maxRequestBytes) grows as the edge enriches
 * it (context, hashed IP, geo) and adds its dead letters' reasons; four times covers a full
 * 2,500-event Segment batch with room to spare.
 */
export const MAX_INGEST_BYTES = 4 * LIMITS.maxRequestBytes;

/** Largest body of the query APIs: segment and trigger definitions, GraphQL documents. */
export const MAX_API_BODY_BYTES = 64 * 1024;

/**
 * 413 `payload_too_large` past `maxSize`, counted from Content-Length or, without one, while
 * the body streams in (hono's bodyLimit): a body is never read whole before it is bounded,
 * nor before ingest checks its signature.
 */
const limitBody = (maxSize: number): MiddlewareHandler =>
  bodyLimit({
    maxSize,
    onError: (c) =>
      c.json(fail('payload_too_large', `body is over the limit of ${maxSize} bytes`), 413),
  });

/**
 * Backend ingest: `POST /internal/ingest` takes a signed SinkBatch from the edge and answers
 * 200 only after the sink (Kafka, acks=all) has made all of it durable.
 */
export function createIngestApp({ secret, sink, onSinkError, routes }: IngestAppOptions): Hono {
  const app = new Hono();
  const ingestLimit = limitBody(MAX_INGEST_BYTES);
  const apiLimit = limitBody(MAX_API_BODY_BYTES);
  app.use('*', (c, next) => (c.req.path === '/internal/ingest' ? ingestLimit : apiLimit)(c, next));
  if (routes) app.route('/', routes);

  app.get('/healthz', (c) => c.json({ ok: true }));

  app.post('/internal/ingest', async (c) => {
    const body = await c.req.text();
    const check = await verifyBody(secret, c.req.header(SIGNATURE_HEADER), body);
    if (!check.ok)
      return c.json(fail('invalid_signature', `signature refused: ${check.code}`), 401);
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return c.json(fail('invalid_json', 'body is not JSON'), 400);
    }
    const parsed = sinkBatchSchema.safeParse(json);
    if (!parsed.success) return c.json(fail('invalid_batch', describeIssues(parsed.error)), 400);
    const batch = parsed.data as SinkBatch;
    try {
      await sink.write(batch);
    } catch (error) {
      onSinkError?.(error);
      c.header('Retry-After', '1');
      return c.json(fail('unavailable', 'events could not be made durable; retry'), 503);
    }
    return c.json({
      ok: true,
      events: batch.events.length,
      dead_letters: batch.dead_letters.length,
    });
  });

  app.notFound((c) => c.json(fail('not_found', `no route for ${c.req.method} ${c.req.path}`), 404));
  app.onError((error, c) => {
    onSinkError?.(error);
    // A store or the warehouse out of reach is an outage, not a bug: retry later.
    if (failureKind(error) === 'transient') {
      c.header('Retry-After', '5');
      return c.json(fail('unavailable', 'a store is unavailable; retry later'), 503);
    }
    return c.json(fail('internal', 'internal error'), 500);
  });
  return app;
}
