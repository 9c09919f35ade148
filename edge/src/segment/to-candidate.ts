import type { RequestFacts } from '../enrich/request-facts';
import { isJsonObject } from '../json/is-json-object';
import type { Candidate } from '../pipeline/candidate';
import { isoTimeOrUndefined } from './iso-time';
import { deriveMessageId } from './message-id';
import { EVENT_TYPE_BY_CALL, SEGMENT_CALLS, isSegmentCall, type SegmentCall } from './segment-call';

/** Longest user agent kept from a message's context (the contract's limit). */
const MAX_USER_AGENT = 1024;

/** Where `visitor_id` came from: the first of these the message has. */
type VisitorSource = 'anonymousId' | 'userId' | 'previousId';

/** Segment's names for our fields, per call and visitor source, for rejection reasons. */
const FIELD_NAMES = Object.fromEntries(
  SEGMENT_CALLS.map((call) => {
    const perCall: Record<string, string> = {
      event_id: 'messageId',
      user_id: 'userId',
      previous_id: 'previousId',
    };
    if (call === 'track') perCall.event_name = 'event';
    if (call === 'page' || call === 'screen') perCall.event_name = 'name';
    if (call === 'identify' || call === 'group') perCall.properties = 'traits';
    const bySource = (source: VisitorSource): Readonly<Record<string, string>> => ({
      ...perCall,
      visitor_id: source,
    });
    return [
      call,
      {
        anonymousId: bySource('anonymousId'),
        userId: bySource('userId'),
        previousId: bySource('previousId'),
      },
    ];
  }),
) as Record<SegmentCall, Record<VisitorSource, Readonly<Record<string, string>>>>;

/** Where a Segment message comes from: a single-call endpoint, or an item of `/v1/batch`. */
export interface SegmentSource {
  /** The call of the endpoint; `undefined` inside a batch, where each item has a `type`. */
  call: SegmentCall | undefined;
  /** A batch's `context`, merged under each item's own (Segment's batch rule). */
  batchContext: Record<string, unknown> | undefined;
  /** A batch's `sentAt`, for items without their own. */
  batchSentAt: string | undefined;
}

/**
 * Maps one Segment message (HTTP Tracking API spec) onto a contract ClientEvent candidate:
 * `messageId` → `event_id`, `anonymousId` (else `userId`) → `visitor_id`, `userId` →
 * `user_id`, `previousId` → `previous_id`, `properties` (identify: `traits`) → `properties`,
 * `context.userAgent` → `context.user_agent`, `timestamp` → `timestamp` (when absent: the
 * message's `sentAt`, else the time it arrived). The contract schema validates the result.
 */
export async function segmentCandidate(
  raw: unknown,
  source: SegmentSource,
  facts: RequestFacts,
): Promise<Candidate> {
  if (!isJsonObject(raw)) return refuse('a message must be a JSON object');
  const call = source.call ?? raw.type;
  if (!isSegmentCall(call)) return refuse(`type: must be one of ${SEGMENT_CALLS.join(', ')}`);

  const userId = idOf(raw.userId);
  const anonymousId = idOf(raw.anonymousId);
  const previousId = idOf(raw.previousId);
  const visitorSource: VisitorSource | undefined =
    anonymousId !== undefined
      ? 'anonymousId'
      : userId !== undefined
        ? 'userId'
        : call === 'alias' && previousId !== undefined
          ? 'previousId'
          : undefined;
  if (visitorSource === undefined) return refuse('anonymousId or userId is required');
  const visitorId =
    visitorSource === 'anonymousId'
      ? anonymousId
      : visitorSource === 'userId'
        ? userId
        : previousId;
  if (call === 'track' && (typeof raw.event !== 'string' || !raw.event.trim())) {
    return refuse('event: a track call needs an event name');
  }
  if (call === 'alias' && (userId === undefined || previousId === undefined)) {
    return refuse('an alias call needs userId and previousId');
  }
  const groupId = idOf(raw.groupId);
  if (call === 'group' && groupId === undefined) return refuse('groupId: a group call needs one');
  if (call === 'group' && raw.traits !== undefined && !isJsonObject(raw.traits)) {
    return refuse('traits: must be an object');
  }

  const context = mergeContext(source.batchContext, raw.context, call);
  const sentAt = isoTimeOrUndefined(raw.sentAt) ?? source.batchSentAt;
  const messageId = idOf(raw.messageId) ?? (await deriveMessageId(facts.customerId, raw));
  const event = {
    event_id: messageId,
    visitor_id: visitorId,
    user_id: userId ?? null,
    session_id: null,
    event_type: EVENT_TYPE_BY_CALL[call],
    event_name: eventName(call, raw, context),
    properties: properties(call, raw, groupId),
    previous_id: call === 'alias' ? previousId : null,
    context,
    timestamp: raw.timestamp ?? raw.originalTimestamp ?? sentAt ?? facts.receivedAt,
  };
  return { ok: true, event, sentAt, fieldNames: FIELD_NAMES[call][visitorSource] };
}

function refuse(message: string): Candidate {
  return { ok: false, code: 'invalid_event', message };
}

/**
 * An id as Segment libraries send it: a string, or a number some server libraries allow.
 * Empty and missing are the same; any other type is passed on for the schema to refuse.
 */
function idOf(value: unknown): unknown {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return value;
}

function eventName(call: SegmentCall, raw: Record<string, unknown>, context: unknown): unknown {
  switch (call) {
    case 'track':
      return raw.event;
    case 'page':
    case 'screen': {
      if (raw.name !== undefined) return raw.name;
      // As the Pulse SDK names an unnamed page view: its title, else its path.
      const props = isJsonObject(raw.properties) ? raw.properties : {};
      const page = isJsonObject(context) && isJsonObject(context.page) ? context.page : {};
      const fallback = [props.title, page.title, props.path, page.path].find(
        (value) => typeof value === 'string' && value,
      );
      return fallback ?? '';
    }
    default:
      return call;
  }
}

function properties(call: SegmentCall, raw: Record<string, unknown>, groupId: unknown): unknown {
  switch (call) {
    case 'identify':
      return raw.traits;
    case 'group':
      return { group_id: groupId, traits: raw.traits ?? {} };
    case 'alias':
      return {};
    case 'page':
      // Segment's page has a top-level `category`; keep it with the properties.
      if (typeof raw.category === 'string' && isJsonObject(raw.properties)) {
        return { category: raw.category, ...raw.properties };
      }
      if (typeof raw.category === 'string' && raw.properties === undefined) {
        return { category: raw.category };
      }
      return raw.properties;
    default:
      return raw.properties;
  }
}

/**
 * The message's context over the batch's, as a new object (the raw message stays as received
 * for a dead letter), with Segment's `userAgent` under our `user_agent`.
 */
function mergeContext(
  batchContext: Record<string, unknown> | undefined,
  own: unknown,
  call: SegmentCall,
): unknown {
  if (own !== undefined && !isJsonObject(own)) return own; // the schema refuses it by name
  const context: Record<string, unknown> = { ...batchContext, ...own, segment_call: call };
  if (typeof context.userAgent === 'string') {
    if (context.user_agent === undefined)
      context.user_agent = context.userAgent.slice(0, MAX_USER_AGENT);
    delete context.userAgent;
  }
  return context;
}
