import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { LIMITS, SIGNATURE_HEADER, verifyBody, type Sink, type SinkBatch } from '@pulse/contract';
import { describeIssues, readSinkBatch, sinkBatchSchema } from '@pulse/contract/schema';
import { ApiError } from '../errors/api-error';
import { onApiError, respondWithApiError } from '../errors/on-api-error';

export interface IngestAppOptions {
  /** Shared secret of the HMAC signatures the edge puts on each batch. */
  secret: string;
  sink: Sink;
  /**
   * Called for every request that failed on the server's side (5xx): a batch that could not
   * be made durable, a store out of reach, a bug in any route (for logs and metrics).
   */
  onSinkError?: (error: unknown) => void;
  /** Other routes served by the same server (the query APIs). */
  routes?: Hono;
}

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
    onError: () => {
      throw new ApiError('payload_too_large', `body is over the limit of ${maxSize} bytes`);
    },
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
    if (!check.ok) throw new ApiError('invalid_signature', `signature refused: ${check.code}`);
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw new ApiError('invalid_json', 'body is not JSON');
    }
    // The contract's reader first (a fifth of the schema's CPU); the schema says why it refused.
    let batch = readSinkBatch(json) as SinkBatch | undefined;
    if (!batch) {
      const parsed = sinkBatchSchema.safeParse(json);
      if (!parsed.success) throw new ApiError('invalid_batch', describeIssues(parsed.error));
      batch = parsed.data as SinkBatch;
    }
    try {
      await sink.write(batch);
    } catch (error) {
      throw new ApiError('unavailable', 'events could not be made durable; retry', {
        retryAfterSeconds: 1,
        cause: error,
      });
    }
    return c.json({
      ok: true,
      events: batch.events.length,
      dead_letters: batch.dead_letters.length,
    });
  });

  app.notFound((c) =>
    respondWithApiError(c, new ApiError('not_found', `no route for ${c.req.method} ${c.req.path}`)),
  );
  // The one error handler of every REST route served here (ingest and the query APIs).
  app.onError(onApiError((_what, error) => onSinkError?.(error)));
  return app;
}
