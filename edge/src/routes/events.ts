import type { Handler } from 'hono';
import { LIMITS } from '@pulse/contract';
import { describeIssues, eventBatchEnvelopeSchema } from '@pulse/contract/schema';
import type { EdgeEnv } from '../deps';
import { EdgeError } from '../errors/edge-error';
import { isJsonObject } from '../json/is-json-object';
import type { IngestPipeline } from '../pipeline/ingest';

/** A native request costs its number of events against the rate limit. */
export function countNativeEvents(body: unknown): number {
  return isJsonObject(body) && Array.isArray(body.events) ? body.events.length : 1;
}

/** The id a rejected native event is reported under. */
function nativeEventId(raw: unknown): string | null {
  const id = isJsonObject(raw) ? raw.event_id : undefined;
  return typeof id === 'string' && id.length <= LIMITS.maxEventIdLength ? id : null;
}

/**
 * `POST /v1/events`: the native batch `{ "sent_at": "…", "events": [ … ] }` of the Pulse SDK
 * (contract EventBatch). 400 `invalid_batch` for a body that is not such an envelope, 413 past
 * `LIMITS.maxBatchEvents`; then each event is accepted or rejected on its own, and the answer
 * is 200 `{accepted, rejected}` once every accepted event is durable.
 *
 * @example
 * POST /v1/events?key=pk_live_… (Content-Type: text/plain)
 * {"sent_at":"2025-01-21T10:30:00.050Z","events":[{"event_id":"0193…","visitor_id":"v1",…}]}
 * → 200 {"accepted":1,"rejected":[]}
 */
export function nativeEvents(pipeline: IngestPipeline): Handler<EdgeEnv> {
  return async (c) => {
    const body = c.get('body');
    if (!isJsonObject(body)) {
      throw new EdgeError(
        'invalid_batch',
        'body must be a JSON object {"sent_at", "events": [ … ]}',
      );
    }
    if (Array.isArray(body.events) && body.events.length > LIMITS.maxBatchEvents) {
      throw new EdgeError(
        'payload_too_large',
        `batch has ${body.events.length} events; the limit is ${LIMITS.maxBatchEvents}`,
      );
    }
    const envelope = eventBatchEnvelopeSchema.safeParse(body);
    if (!envelope.success) throw new EdgeError('invalid_batch', describeIssues(envelope.error));

    const facts = await pipeline.facts(c);
    return pipeline.ingest(c, facts, envelope.data.events, {
      sentAt: envelope.data.sent_at,
      checkEventSize: c.get('bodyBytes') > LIMITS.maxEventBytes,
      rawEventId: nativeEventId,
      clientDropped: envelope.data.dropped,
      unload: envelope.data.unload,
    });
  };
}
