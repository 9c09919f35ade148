/** Options of `pulse.init()`. */
export interface PulseOptions {
  /** Public write key of your Pulse project. */
  key: string;
  /** Base URL of the Pulse edge collector, e.g. `https://collect.example.com`. */
  endpoint: string;
  /** Milliseconds to gather events before a batch is sent. @default 100 */
  flushInterval?: number;
  /** Most events in one request. @default 100 */
  maxBatchEvents?: number;
  /** Largest request body in bytes (kept under the 64 KB keepalive budget). @default 60000 */
  maxBatchBytes?: number;
  /** Most events kept while the edge cannot be reached; beyond it the oldest are dropped and reported. @default 10000 */
  maxQueueEvents?: number;
  /** Most bytes kept while the edge cannot be reached. @default 5000000 */
  maxQueueBytes?: number;
  /** First retry delay bound in ms (exponential backoff with full jitter). @default 1000 */
  retryBase?: number;
  /** Largest retry delay in ms. @default 60000 */
  retryCap?: number;
  /** Time limit of one request in ms. @default 15000 */
  timeout?: number;
  /** Send a page view on load and on every SPA navigation. @default true */
  autoPageViews?: boolean;
  /** Capture clicks on links, buttons and `[data-pulse-event]` elements. @default false */
  captureClicks?: boolean;
  /** Store and send nothing until `pulse.consent(true)`. @default false */
  requireConsent?: boolean;
  /** Queue storage to try first; it falls back to the next when refused. @default 'indexeddb' */
  storage?: 'indexeddb' | 'localstorage' | 'memory';
}

export const DEFAULTS = {
  flushInterval: 100,
  maxBatchEvents: 100,
  maxBatchBytes: 60_000,
  maxQueueEvents: 10_000,
  maxQueueBytes: 5_000_000,
  retryBase: 1000,
  retryCap: 60_000,
  timeout: 15_000,
  autoPageViews: true,
  captureClicks: false,
  requireConsent: false,
  storage: 'indexeddb',
} as const;

export type ResolvedOptions = Required<PulseOptions>;
