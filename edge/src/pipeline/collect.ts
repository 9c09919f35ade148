import {
  jsonShape,
  LIMITS,
  type DeadLetter,
  type EventContext,
  type PulseEvent,
  type RejectedEvent,
} from '@pulse/contract';
import {
  clientEventSchema,
  describeIssues,
  isClientEvent,
  isEventTime,
  type ClientEventInput,
} from '@pulse/contract/schema';
import { correctTimestamp } from '../enrich/skew';
import type { RequestFacts } from '../enrich/request-facts';
import { isJsonObject } from '../json/is-json-object';
import { utf8LengthOver } from '../json/utf8-length';
import type { Candidate } from './candidate';

/** The schema's error type, from the contract's own zod. */
type SchemaError = NonNullable<ReturnType<typeof clientEventSchema.safeParse>['error']>;

/**
 * Before the schema only depth is measured (and the serialised size bounded, contract
 * json-shape.ts): the event object adds one level.
 */
const EVENT_DEPTH = {
  maxDepth: LIMITS.maxJsonDepth + 1,
  maxKeys: Infinity,
  maxArrayLength: Infinity,
};

/** How to read the items of one request. */
export interface CollectOptions {
  /** The request's `sent_at`, if the client sent a valid one. */
  sentAt: string | undefined;
  /**
   * Whether items may be over `LIMITS.maxEventBytes`. A body no larger than the limit cannot
   * hold a larger event (re-serialising parsed JSON never makes it longer), so small bodies
   * skip the per-event measurement. In a larger one, only an event whose shape bound
   * (`jsonShape`'s `maxBytes`) is over the limit is serialised to be measured.
   */
  checkEventSize: boolean;
  /** Maps a raw item to a candidate; without it the item is its own candidate. */
  toCandidate?: (raw: unknown) => Candidate | Promise<Candidate>;
  /** The id reported for a rejected item, from its raw form. */
  rawEventId: (raw: unknown) => string | null;
  /** Events the client dropped for space since its last batch (native `dropped`). */
  clientDropped?: number;
  /** Sent while a page was being left: keep receipts of its event_ids. */
  unload?: boolean;
}

/** The outcome of one request: events to deliver, and what was refused and why. */
export interface Collected {
  events: PulseEvent[];
  deadLetters: DeadLetter[];
  rejected: RejectedEvent[];
}

/**
 * Validates each item once with the contract schema and enriches the valid ones; one bad item
 * never costs its neighbours. Refused items become dead letters with their reason and their
 * raw payload (minus any raw IP).
 */
export async function collect(
  items: readonly unknown[],
  facts: RequestFacts,
  options: CollectOptions,
): Promise<Collected> {
  const events: PulseEvent[] = [];
  const deadLetters: DeadLetter[] = [];
  const rejected: RejectedEvent[] = [];
  const batchSentAt = eventTimeOrUndefined(options.sentAt) ?? facts.receivedAt;
  const batchSentMs = Date.parse(batchSentAt);

  const reject = async (
    index: number,
    raw: unknown,
    code: RejectedEvent['code'],
    message: string,
  ) => {
    const event_id = options.rawEventId(raw);
    rejected.push({ index, event_id, code, message });
    await scrubRawIp(raw, facts);
    deadLetters.push({
      customer_id: facts.customerId,
      index,
      event_id,
      code,
      message,
      raw,
      received_at: facts.receivedAt,
    });
  };

  for (let index = 0; index < items.length; index++) {
    const raw = items[index];
    // Before anything serialises the item (the size check, the dead letter): a hostile value
    // thousands of levels deep overflows JSON.stringify's stack. One level more than the
    // contract allows inside `properties` holds the event object itself.
    const shape = jsonShape(raw, EVENT_DEPTH);
    if (shape.issue !== undefined) {
      const message = `properties or context nest deeper than ${LIMITS.maxJsonDepth} levels`;
      await reject(index, shallowCopy(raw), 'invalid_event', message);
      continue;
    }
    // The walk's bound settles nearly every event; only one that may be over is serialised.
    if (
      options.checkEventSize &&
      shape.maxBytes > LIMITS.maxEventBytes &&
      utf8LengthOver(JSON.stringify(raw) ?? '', LIMITS.maxEventBytes)
    ) {
      await reject(index, raw, 'event_too_large', `event is over ${LIMITS.maxEventBytes} bytes`);
      continue;
    }
    const candidate: Candidate = options.toCandidate
      ? await options.toCandidate(raw)
      : { ok: true, event: raw };
    if (!candidate.ok) {
      await reject(index, raw, candidate.code, candidate.message);
      continue;
    }
    // Valid events (nearly all) pass the schema's fast verdict and are used as they are: no
    // copy. Only a refused one goes through the zod schema, for the reason it states.
    let event: ClientEventInput;
    if (isClientEvent(candidate.event)) {
      event = candidate.event;
    } else {
      const parsed = clientEventSchema.safeParse(candidate.event);
      if (!parsed.success) {
        const reason = describeIssues(renameFields(parsed.error, candidate.fieldNames));
        await reject(index, raw, 'invalid_event', reason);
        continue;
      }
      event = parsed.data;
    }
    const ownSentAt = eventTimeOrUndefined(candidate.sentAt);
    const sentAt = ownSentAt ?? batchSentAt;
    const sentMs = ownSentAt === undefined ? batchSentMs : Date.parse(sentAt);
    const clientIp = (event.context as EventContext | undefined)?.ip;
    const clientIpHash =
      typeof clientIp === 'string' && clientIp ? await facts.hashIp(clientIp) : undefined;
    events.push(enrich(event, facts, sentAt, sentMs, clientIpHash));
  }
  return { events, deadLetters, rejected };
}

/** A validated client event, completed with what only the edge knows. */
function enrich(
  event: ClientEventInput,
  facts: RequestFacts,
  sentAt: string,
  sentMs: number,
  clientIpHash: string | undefined,
): PulseEvent {
  // The event is the request's own parsed object (or the schema's fresh copy): completing its
  // context in place copies nothing. Whatever `ip` it held is replaced by a hash, or removed.
  const context = (event.context ?? {}) as EventContext;
  if (clientIpHash !== undefined) context.ip = clientIpHash;
  else if (facts.ipHash !== undefined) context.ip = facts.ipHash;
  else delete context.ip;
  if (context.user_agent === undefined && facts.userAgent !== undefined) {
    context.user_agent = facts.userAgent;
  }
  if (context.locale === undefined && facts.locale !== undefined) context.locale = facts.locale;
  if (facts.geo !== undefined) context.geo = facts.geo;

  return {
    event_id: event.event_id,
    customer_id: facts.customerId,
    visitor_id: event.visitor_id,
    user_id: event.user_id ?? null,
    session_id: event.session_id ?? null,
    event_type: event.event_type,
    event_name: event.event_name,
    properties: event.properties ?? {},
    previous_id: event.previous_id ?? null,
    context,
    timestamp: correctTimestamp(
      event.timestamp,
      Date.parse(event.timestamp),
      sentMs,
      facts.receivedMs,
    ),
    original_timestamp: event.timestamp,
    sent_at: sentAt,
    received_at: facts.receivedAt,
  };
}

/** A client's send time, unless its clock is so far off that no event time could be stored. */
const eventTimeOrUndefined = (iso: string | undefined) =>
  iso !== undefined && isEventTime(iso) ? iso : undefined;

/** An item's top-level scalar fields: what a dead letter can keep of a value too deep to store. */
function shallowCopy(raw: unknown): unknown {
  if (!isJsonObject(raw)) return null;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    copy[key] = typeof value == 'object' && value !== null ? '[not kept: too deep]' : value;
  }
  return copy;
}

/** A dead letter keeps the raw payload, but an IP in it is hashed like everywhere else. */
async function scrubRawIp(raw: unknown, facts: RequestFacts): Promise<void> {
  if (!isJsonObject(raw) || !isJsonObject(raw.context) || !('ip' in raw.context)) return;
  const ip = raw.context.ip;
  if (typeof ip === 'string' && ip) raw.context.ip = await facts.hashIp(ip);
  else delete raw.context.ip;
}

/** Puts the client's field names into a schema error (`visitor_id` → `anonymousId`). */
function renameFields(
  error: SchemaError,
  names: Readonly<Record<string, string>> | undefined,
): SchemaError {
  if (!names) return error;
  for (const issue of error.issues) {
    const first = issue.path[0];
    const renamed = typeof first === 'string' ? names[first] : undefined;
    if (renamed !== undefined) (issue.path as PropertyKey[])[0] = renamed;
  }
  return error;
}
