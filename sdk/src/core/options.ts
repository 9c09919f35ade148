/** Options of `pulse.init()`. Only `key` and `endpoint` are required. */
export interface PulseOptions {
  /** Write key of your Pulse project (`pk_live_…`); sent as `?key=`. */
  key: string;
  /** Base URL of the Pulse edge collector, e.g. `https://collect.example.com`. */
  endpoint: string;
  /**
   * Send a page view on load and on every SPA navigation (history.pushState, replaceState
   * and popstate that change the path or query).
   * @default true
   */
  autoPageViews?: boolean;
  /**
   * Send a `click` event for clicks on elements with `data-pulse-event`, links and buttons;
   * `data-pulse-*` attributes become properties.
   * @default false
   */
  captureClicks?: boolean;
  /**
   * Store and send nothing (no ids, no queue) until `consent(true)`; events tracked before
   * that wait in memory.
   * @default false
   */
  requireConsent?: boolean;
  /**
   * Milliseconds an event waits for others before its batch is sent.
   * @default 200
   */
  flushInterval?: number;
  /**
   * Events per request (the edge takes at most 1,000); a full batch is sent at once.
   * @default 100
   */
  maxBatchEvents?: number;
  /**
   * Serialised size of the events of one request, in characters; the default keeps each
   * request inside the browsers' 64 KB budget for `keepalive` requests.
   * @default 60000
   */
  maxBatchBytes?: number;
  /**
   * Events kept in the persistent queue; beyond it new events are dropped, counted, emitted
   * as `dropped` and reported to the edge in the next batch.
   * @default 50000
   */
  maxQueueEvents?: number;
  /**
   * Serialised size of the persistent queue, in characters (same handling as `maxQueueEvents`).
   * @default 50000000
   */
  maxQueueBytes?: number;
  /**
   * First retry delay in milliseconds; each failure doubles it (full jitter) up to `retryCap`.
   * @default 1000
   */
  retryBase?: number;
  /**
   * Longest retry delay in milliseconds (a `Retry-After` from the edge is honoured as given).
   * @default 60000
   */
  retryCap?: number;
  /**
   * Milliseconds a request may take before it is abandoned and retried.
   * @default 15000
   */
  timeout?: number;
  /**
   * Idle milliseconds after which the next event starts a new session.
   * @default 1800000 (30 minutes)
   */
  sessionTimeout?: number;
}

/** Options with every default filled in; the switches stay optional (read as `!= false` or truthy). */
export type Settings = PulseOptions &
  Required<Omit<PulseOptions, 'autoPageViews' | 'captureClicks' | 'requireConsent'>>;

export const DEFAULTS: Omit<Settings, 'key' | 'endpoint'> = {
  flushInterval: 200,
  maxBatchEvents: 100,
  maxBatchBytes: 60000,
  maxQueueEvents: 5e4,
  maxQueueBytes: 5e7,
  retryBase: 1000,
  retryCap: 60000,
  timeout: 15000,
  sessionTimeout: 18e5,
};
