import { pagePath, type IdentityLink, type PulseEvent, type SegmentChange } from '@pulse/contract';
import { WarehouseError } from './warehouse-error';

/** One row of `events`, as JSONEachRow sends it. */
export interface EventRow {
  customer_id: string;
  event_id: string;
  visitor_id: string;
  user_id: string | null;
  session_id: string | null;
  event_type: string;
  event_name: string;
  previous_id: string | null;
  properties: string;
  context: string;
  page: string;
  referrer: string;
  country: string;
  browser: string;
  device: string;
  timestamp: string;
  original_timestamp: string;
  sent_at: string;
  received_at: string;
}

/** The columns of `events` that `write` fills, in row order. */
export const EVENT_COLUMNS = [
  'customer_id',
  'event_id',
  'visitor_id',
  'user_id',
  'session_id',
  'event_type',
  'event_name',
  'previous_id',
  'properties',
  'context',
  'page',
  'referrer',
  'country',
  'browser',
  'device',
  'timestamp',
  'original_timestamp',
  'sent_at',
  'received_at',
] as const satisfies readonly (keyof EventRow)[];

/** The columns of `identities`, in row order. */
export const LINK_COLUMNS = [
  'customer_id',
  'source_id',
  'user_id',
  'at',
  'event_id',
] as const satisfies readonly (keyof IdentityLink)[];

/** The columns of `segment_changes`, in row order. */
export const CHANGE_COLUMNS = [
  'customer_id',
  'segment_id',
  'id',
  'change',
  'at',
  'reason',
] as const satisfies readonly (keyof SegmentChange)[];

const CANONICAL_ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * An ISO instant as `YYYY-MM-DD hh:mm:ss.sss` (UTC), the text every ClickHouse version reads
 * into DateTime64(3) whatever `date_time_input_format` says.
 */
export function toClickHouseTime(iso: string, field = 'time'): string {
  let canonical = iso;
  if (!CANONICAL_ISO.test(iso)) {
    const ms = Date.parse(iso);
    if (!Number.isFinite(ms)) {
      throw new WarehouseError(
        'invalid_row',
        `${field} is not an ISO 8601 time: ${JSON.stringify(iso)}`,
      );
    }
    canonical = new Date(ms).toISOString();
  }
  return `${canonical.slice(0, 10)} ${canonical.slice(11, 23)}`;
}

const asString = (value: unknown): string => (typeof value == 'string' ? value : '');

/** A coarse browser family from a user agent; order matters (Edge and Opera say Chrome too). */
export function browserOf(userAgent: string): string {
  if (!userAgent) return '';
  if (userAgent.includes('Edg/')) return 'Edge';
  if (userAgent.includes('OPR/')) return 'Opera';
  if (userAgent.includes('Firefox/')) return 'Firefox';
  if (userAgent.includes('Chrome/') || userAgent.includes('Chromium/')) return 'Chrome';
  if (userAgent.includes('Safari/')) return 'Safari';
  return 'Other';
}

/** `mobile`, `tablet` or `desktop` from a user agent ('' when unknown). */
export function deviceOf(userAgent: string): string {
  if (!userAgent) return '';
  if (/iPad|Tablet/.test(userAgent)) return 'tablet';
  if (/Mobi|iPhone|Android/.test(userAgent)) return 'mobile';
  return 'desktop';
}

/**
 * The `events` row of an event. The page is the contract's `pagePath`, computed here once so
 * SQL never reimplements it; `timestamp` may be given to store a duplicate at the time its
 * first copy was stored with.
 */
export function toEventRow(event: PulseEvent, timestamp = event.timestamp): EventRow {
  const context = event.context ?? {};
  const properties = event.properties ?? {};
  const userAgent = asString(context.user_agent);
  return {
    customer_id: event.customer_id,
    event_id: event.event_id,
    visitor_id: event.visitor_id,
    user_id: event.user_id ?? null,
    session_id: event.session_id ?? null,
    event_type: event.event_type,
    event_name: event.event_name,
    previous_id: event.previous_id ?? null,
    properties: JSON.stringify(properties),
    context: JSON.stringify(context),
    page: pagePath(event),
    referrer: asString(properties.referrer) || asString(context.page?.referrer),
    country: asString(context.geo?.country),
    browser: browserOf(userAgent),
    device: deviceOf(userAgent),
    timestamp: toClickHouseTime(timestamp, 'timestamp'),
    original_timestamp: toClickHouseTime(event.original_timestamp, 'original_timestamp'),
    sent_at: toClickHouseTime(event.sent_at, 'sent_at'),
    received_at: toClickHouseTime(event.received_at, 'received_at'),
  };
}

/** The `identities` row of a link. */
export const toLinkRow = (link: IdentityLink) => ({ ...link, at: toClickHouseTime(link.at, 'at') });

/** The `segment_changes` row of a change. */
export const toChangeRow = (change: SegmentChange) => ({
  ...change,
  at: toClickHouseTime(change.at, 'at'),
});
