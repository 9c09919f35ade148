/**
 * The dashboard schema (SDL). README.md in this folder shows its printed form; a test keeps
 * the two equal. Bounds named here are enforced in `input-bounds.ts`.
 */
export const typeDefs = /* GraphQL */ `
  """
  An instant, ISO 8601 with a time zone (\`2025-01-21T10:30:00.000Z\`); answers are in UTC, ms.
  """
  scalar DateTime

  "A JSON object (event properties)."
  scalar JSONObject

  "The event types of the wire contract."
  enum EventType {
    page_view
    click
    custom
    identify
    alias
  }

  "Bucket width of a time series; buckets start on UTC minute, hour or day boundaries."
  enum Bucket {
    "Ranges up to 48 hours."
    MINUTE
    "Ranges up to 31 days."
    HOUR
    "Ranges up to 366 days."
    DAY
  }

  "A dimension to split a time series by."
  enum Breakdown {
    EVENT_TYPE
    EVENT_NAME
    "The page path of the event (page views and clicks carry one)."
    PAGE
    REFERRER
    "ISO country code from the edge's geo lookup ('' when unknown)."
    COUNTRY
    "desktop, mobile or tablet from the user agent ('' when unknown)."
    DEVICE
    "Browser family from the user agent ('' when unknown)."
    BROWSER
    "utm_source of the page the event was sent from ('' without one)."
    UTM_SOURCE
    "utm_campaign of the page the event was sent from ('' without one)."
    UTM_CAMPAIGN
  }

  "What a breakdown list ranks: a Breakdown's dimensions, and where sessions began and ended."
  enum Dimension {
    EVENT_TYPE
    EVENT_NAME
    PAGE
    "The page of a session's first page view in the range; counts are sessions."
    ENTRY_PAGE
    "The page of a session's last page view in the range; counts are sessions."
    EXIT_PAGE
    REFERRER
    UTM_SOURCE
    UTM_CAMPAIGN
    COUNTRY
    DEVICE
    BROWSER
  }

  "Events must match every field given (exact match)."
  input EventFilter {
    eventType: EventType
    eventName: String
    page: String
    referrer: String
    country: String
    device: String
    browser: String
    utmSource: String
    utmCampaign: String
  }

  "One step of a funnel: an event of this type (and name and page, when given)."
  input FunnelStepInput {
    eventType: EventType!
    eventName: String
    page: String
  }

  "Counts of one time bucket (and breakdown value). Counts are of distinct event_ids."
  type TimeBucket {
    "Start of the bucket (UTC)."
    start: DateTime!
    "The breakdown value; null without a breakdown."
    key: String
    "Distinct events."
    count: Int!
    "Distinct visitor_ids."
    uniqueVisitors: Int!
    "Distinct non-null session_ids."
    sessions: Int!
  }

  "Exact totals of a range (not sums of buckets: a visitor of two hours is one visitor)."
  type Summary {
    "Distinct events."
    events: Int!
    "Distinct visitor_ids."
    uniqueVisitors: Int!
    "Distinct non-null session_ids."
    sessions: Int!
    "Distinct page_view events."
    pageViews: Int!
  }

  "One value of a breakdown list."
  type BreakdownRow {
    value: String!
    "Distinct events (sessions for ENTRY_PAGE and EXIT_PAGE)."
    count: Int!
    uniqueVisitors: Int!
  }

  type PageCount {
    page: String!
    "Distinct page_view events."
    count: Int!
    uniqueVisitors: Int!
  }

  type FunnelStep {
    "0 for the first step."
    index: Int!
    eventType: EventType!
    eventName: String
    page: String
    "Profiles that did this step and every step before it, in order, within the window."
    count: Int!
    "count / count of step 0 (0 when nobody entered)."
    conversion: Float!
  }

  """
  A funnel counted per profile: the canonical id (the user_id once the visitor is identified,
  else the visitor_id), so steps done before and after login count as one person.
  """
  type Funnel {
    windowSeconds: Int!
    steps: [FunnelStep!]!
  }

  "Events per stitched profile."
  type UserCount {
    "Canonical id: the user_id once identified (identify or alias), else the visitor_id."
    id: String!
    "True when the id is a user (something is linked to it or it was sent as user_id)."
    identified: Boolean!
    "Distinct events."
    count: Int!
    "Distinct visitor_ids behind the profile in the range."
    visitors: Int!
    sessions: Int!
    lastSeen: DateTime!
  }

  type Event {
    eventId: String!
    eventType: EventType!
    eventName: String!
    visitorId: String!
    userId: String
    sessionId: String
    page: String!
    referrer: String!
    country: String!
    device: String!
    properties: JSONObject!
    "Event time (skew-corrected)."
    timestamp: DateTime!
    receivedAt: DateTime!
  }

  """
  Sent after each processed batch that holds events of your customer. At least once: a batch
  replayed after a crash is sent again.
  """
  type EventCounts {
    "When the update was computed (server clock)."
    at: DateTime!
    "Distinct events of your customer in the batch."
    events: Int!
    "Distinct events with event time in the last 5 minutes, read after the batch."
    lastFiveMinutes: Int!
    "Distinct visitors in the last 5 minutes, read after the batch (as liveVisitors)."
    liveVisitors: Int!
  }

  enum SegmentChangeKind {
    enter
    exit
  }

  enum SegmentChangeReason {
    rule
    window
    merged
    redefined
  }

  type SegmentChange {
    segmentId: String!
    "Canonical id of the profile."
    id: String!
    change: SegmentChangeKind!
    "Event time of the change."
    at: DateTime!
    reason: SegmentChangeReason!
  }

  """
  Every query reads only the data of the customer of the secret key (Authorization: Bearer
  sk_...). Ranges are [from, to); limits are 1..1000.
  """
  type Query {
    "Counts per bucket, optionally filtered and split by a dimension (its top values)."
    timeseries(
      from: DateTime!
      to: DateTime!
      bucket: Bucket!
      filter: EventFilter
      breakdown: Breakdown
      "How many breakdown values to keep (the ones with most events), 1..100."
      breakdownLimit: Int = 10
    ): [TimeBucket!]!
    "Exact totals of a range (up to 31 days), filtered like timeseries."
    summary(from: DateTime!, to: DateTime!, filter: EventFilter): Summary!
    "The top values of a dimension by distinct events (up to 31 days), limit 1..100."
    breakdown(
      from: DateTime!
      to: DateTime!
      dimension: Dimension!
      filter: EventFilter
      limit: Int = 10
    ): [BreakdownRow!]!
    "Pages by distinct page views; range up to 31 days."
    topPages(from: DateTime!, to: DateTime!, limit: Int = 10): [PageCount!]!
    "Ordered steps (2..10) done within windowSeconds (1..2678400); range up to 31 days."
    funnel(from: DateTime!, to: DateTime!, steps: [FunnelStepInput!]!, windowSeconds: Int!): Funnel!
    "Distinct visitor_ids with an event in the last 5 minutes."
    liveVisitors: Int!
    "Profiles by distinct events, most active first; range up to 31 days."
    userCounts(from: DateTime!, to: DateTime!, limit: Int = 10): [UserCount!]!
    """
    Profiles with events in the last 31 days whose user id, visitor id or email trait (of an
    identify, any case) is the query, most active first; limit 1..100.
    """
    profileSearch(query: String!, limit: Int = 20): [UserCount!]!
    "The activity over the last 31 days of these canonical ids (1..100); unknown ids are left out."
    profileActivity(ids: [String!]!): [UserCount!]!
    "A profile's newest events of the last 31 days across its stitched ids; any of its ids works."
    profileTimeline(id: String!, limit: Int = 100): [Event!]!
    "The latest events of the last 24 hours, newest first."
    recentEvents(limit: Int = 50): [Event!]!
  }

  "Over SSE: GET or POST /graphql with Accept: text/event-stream."
  type Subscription {
    "Fresh counts after each processed batch with events of your customer."
    eventCounts: EventCounts!
    "Your customer's events of each processed batch, oldest first (up to 1000 per message)."
    liveEvents: [Event!]!
    "Your customer's segment enter/exit changes of each processed batch."
    segmentChanges: [SegmentChange!]!
  }
`;
