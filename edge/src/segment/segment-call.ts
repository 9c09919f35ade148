import type { EventType } from '@pulse/contract';

/** The calls of Segment's HTTP Tracking API, each also a `type` inside `/v1/batch`. */
export const SEGMENT_CALLS = ['track', 'page', 'screen', 'identify', 'alias', 'group'] as const;
export type SegmentCall = (typeof SEGMENT_CALLS)[number];

/**
 * Our event type for each Segment call. `screen` is an app's page view. `group` (a user joins
 * an account or company) has no type of its own in the contract: it is a `custom` event named
 * `group` whose properties are `{ group_id, traits }`. Every mapped event also records its call
 * in `context.segment_call`, so `screen` and `group` stay distinguishable downstream.
 */
export const EVENT_TYPE_BY_CALL: Readonly<Record<SegmentCall, EventType>> = {
  track: 'custom',
  page: 'page_view',
  screen: 'page_view',
  identify: 'identify',
  alias: 'alias',
  group: 'custom',
};

export function isSegmentCall(value: unknown): value is SegmentCall {
  return typeof value === 'string' && (SEGMENT_CALLS as readonly string[]).includes(value);
}

/**
 * The one-letter paths analytics.js (analytics-next) posts each call to (`/v1/t`, `/v1/p`, …;
 * its batching delivery posts `/v1/b`), as Segment's API also serves them.
 */
export const SEGMENT_SHORT_PATHS: Readonly<Record<string, SegmentCall>> = {
  t: 'track',
  p: 'page',
  s: 'screen',
  i: 'identify',
  a: 'alias',
  g: 'group',
};
