import type { Handler } from 'hono';
import { LIMITS } from '@pulse/contract';
import type { EdgeEnv } from '../deps';
import { EdgeError } from '../errors/edge-error';
import { isJsonObject } from '../json/is-json-object';
import type { IngestPipeline } from '../pipeline/ingest';
import type { RequestFacts } from '../enrich/request-facts';
import { isoTimeOrUndefined } from '../segment/iso-time';
import type { SegmentCall } from '../segment/segment-call';
import { segmentCandidate, type SegmentSource } from '../segment/to-candidate';

/** A `/v1/batch` request costs its number of messages against the rate limit; others one. */
export function countSegmentMessages(body: unknown): number {
  return isJsonObject(body) && Array.isArray(body.batch) ? body.batch.length : 1;
}

/** The id a rejected Segment message is reported under: its `messageId`, if usable. */
function segmentMessageId(raw: unknown): string | null {
  const id = isJsonObject(raw) ? raw.messageId : undefined;
  return typeof id === 'string' && id.length <= LIMITS.maxEventIdLength ? id : null;
}

function ingestOptions(facts: RequestFacts, source: SegmentSource, checkEventSize: boolean) {
  return {
    sentAt: source.batchSentAt,
    checkEventSize,
    rawEventId: segmentMessageId,
    toCandidate: (raw: unknown) => segmentCandidate(raw, source, facts),
  };
}

/**
 * `POST /v1/track`, `/v1/page`, `/v1/screen`, `/v1/identify`, `/v1/alias`, `/v1/group`: one
 * message of Segment's HTTP Tracking API, its call given by the path. 413 past Segment's 32 KB
 * per call. The answer is the same as for a batch: 200 `{accepted, rejected}`, the message
 * being accepted or rejected (and dead-lettered) on its own merits.
 *
 * @example
 * POST /v1/track (Authorization: Basic base64(writeKey:))
 * {"userId":"019mr8mf4r","event":"Item Purchased","properties":{"revenue":14.99}}
 */
export function segmentCall(pipeline: IngestPipeline, call: SegmentCall): Handler<EdgeEnv> {
  return async (c) => {
    const message = c.get('body');
    if (!isJsonObject(message)) {
      throw new EdgeError('invalid_batch', `body of /v1/${call} must be a JSON message object`);
    }
    if (c.get('bodyBytes') > LIMITS.maxEventBytes) {
      throw new EdgeError(
        'event_too_large',
        `a ${call} call is over ${LIMITS.maxEventBytes} bytes`,
      );
    }
    // The key did its work in auth; a dead letter need not carry it.
    delete message.writeKey;
    const facts = await pipeline.facts(c);
    const source: SegmentSource = { call, batchContext: undefined, batchSentAt: undefined };
    return pipeline.ingest(c, facts, [message], ingestOptions(facts, source, false));
  };
}

/**
 * `POST /v1/batch`: `{ "batch": [ {"type": "track", …}, … ], "context"?, "sentAt"? }`, up to
 * `LIMITS.maxSegmentBatchEvents` messages (413 beyond). The batch's `context` is merged under
 * each message's own, as Segment does.
 */
export function segmentBatch(pipeline: IngestPipeline): Handler<EdgeEnv> {
  return async (c) => {
    const body = c.get('body');
    if (!isJsonObject(body) || !Array.isArray(body.batch)) {
      throw new EdgeError('invalid_batch', 'body must be a JSON object {"batch": [ … ]}');
    }
    if (body.batch.length > LIMITS.maxSegmentBatchEvents) {
      throw new EdgeError(
        'payload_too_large',
        `batch has ${body.batch.length} messages; the limit is ${LIMITS.maxSegmentBatchEvents}`,
      );
    }
    if (body.batch.length === 0) {
      throw new EdgeError('invalid_batch', 'batch: must hold at least one message');
    }
    if (body.context !== undefined && !isJsonObject(body.context)) {
      throw new EdgeError('invalid_batch', 'context: must be an object');
    }
    const facts = await pipeline.facts(c);
    const source: SegmentSource = {
      call: undefined,
      batchContext: body.context,
      batchSentAt: isoTimeOrUndefined(body.sentAt),
    };
    const checkEventSize = c.get('bodyBytes') > LIMITS.maxEventBytes;
    return pipeline.ingest(c, facts, body.batch, ingestOptions(facts, source, checkEventSize));
  };
}
