import type { EventType } from './event';

/**
 * A condition on one property path of an event (`"properties.path"`, `"context.geo.country"`).
 * A bare value means equality; an object applies every operator it names.
 */
export type Condition =
  | string
  | number
  | boolean
  | null
  | {
      eq?: string | number | boolean | null;
      neq?: string | number | boolean | null;
      in?: Array<string | number | boolean>;
      contains?: string;
      starts_with?: string;
      gt?: number;
      gte?: number;
      lt?: number;
      lte?: number;
      exists?: boolean;
    };

/** Which events count towards a segment, and how many within how long. */
export interface SegmentRule {
  event_type?: EventType;
  event_name?: string;
  where?: Record<string, Condition>;
  /** At least this many distinct matching events (by event_id) inside the window. */
  min_count: number;
  /** Sliding event-time window: `<n>m`, `<n>h` or `<n>d`, up to 90 days. */
  window: string;
}

/** A customer's segment. `id` is unique per customer. */
export interface SegmentDefinition {
  id: string;
  name?: string;
  rule: SegmentRule;
}

/**
 * A profile entering or leaving a segment (`pulse.segments`, the warehouse, triggers).
 * `id` is the canonical id: the user_id once known, else the visitor_id.
 * `reason`: `rule` (its events made it a member), `window` (the window slid past its events),
 * `merged` (the visitor was stitched into a user, who carries the membership on),
 * `redefined` (the segment's rule changed and the profile does not match the new one).
 */
export interface SegmentChange {
  customer_id: string;
  segment_id: string;
  id: string;
  change: 'enter' | 'exit';
  /** Event time of the change (ISO 8601, ms). */
  at: string;
  reason: 'rule' | 'window' | 'merged' | 'redefined';
}

/**
 * `source_id` (a visitor_id, or a former user_id given to alias) now belongs to `user_id`.
 * The first link of a source wins; later links to another user are ignored.
 */
export interface IdentityLink {
  customer_id: string;
  source_id: string;
  user_id: string;
  /** Event time of the event that made the link. */
  at: string;
  event_id: string;
}

/**
 * A membership's end moved, began or ended (`pulse.memberships`, written by the Flink engine):
 * what a loader needs to keep the state store's memberships as the TypeScript processor keeps
 * them. `pulse.segments` says when a profile enters or leaves; a member's end also moves with
 * each new piece of evidence, and only these records carry that.
 */
export interface MemberEnd {
  customer_id: string;
  segment_id: string;
  /** The canonical id, as in SegmentChange. */
  id: string;
  /** When the membership ends (ISO 8601, ms), or null: no longer a member. */
  until: string | null;
  /** The customer's clock when the end was set (ISO 8601, ms). */
  clock: string;
}

/**
 * A profile deleted through the profile API (`pulse.deletions`, key `customer_id`), written by
 * the backend with the Flink engine so that the job forgets the profile's state too.
 */
export interface ProfileDeletion {
  customer_id: string;
  /** The profile's canonical id (the job forgets it with every source linked to it). */
  id: string;
}

/**
 * A step of a segment defined, redefined or deleted through the segment API with the Flink engine
 * (`pulse.definitions`, key `customer_id`), written by the backend for the job
 * (backend/flink/README.md, "Definitions from the API"). `version` tells one definition of a
 * segment from another.
 */
export type DefinitionRecord =
  | {
      kind: 'define';
      customer_id: string;
      segment_id: string;
      version: string;
      definition: SegmentDefinition;
    }
  | { kind: 'delete'; customer_id: string; segment_id: string; version: string }
  | {
      kind: 'replay';
      customer_id: string;
      segment_id: string;
      version: string;
      /** Events of the window's history that meet the new rule: the source is user_id ?? visitor_id. */
      events: Array<{ event_id: string; source: string; at: string }>;
    }
  | { kind: 'end'; customer_id: string; segment_id: string; version: string };

/**
 * What the Flink job did with a `DefinitionRecord` (`pulse.definitions.applied`, key
 * `customer_id`): `switched` once every event from then on counts with the new rule, `ended`
 * once the replayed history is in, with the segment's members and the old rule's members that
 * exited (`redefined`).
 */
export interface DefinitionAck {
  customer_id: string;
  segment_id: string;
  version: string;
  phase: 'switched' | 'ended';
  members: number;
  exited: number;
  /** The customer's clock in the job then (ISO 8601), null before its first event. */
  clock: string | null;
}

/** Per customer and minute (event time): what dashboards read. Counts are of distinct event_ids. */
export interface MinuteRollup {
  /** Start of the minute, ISO 8601 (`2025-01-21T10:30:00.000Z`). */
  minute: string;
  /** Distinct events by `<event_type>:<event_name>`. */
  events: Record<string, number>;
  /** Distinct visitor_ids with an event in the minute. */
  visitors: number;
  /** Distinct non-null session_ids with an event in the minute. */
  sessions: number;
  /** Distinct page_view events by page path. */
  pages: Record<string, number>;
}
