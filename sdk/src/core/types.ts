import type {
  ClientEvent,
  DecideResponse,
  EventContext,
  Properties,
  RejectedEvent,
} from '@pulse/contract';
import type { PulseOptions } from './options';

/**
 * Middleware run on every event before it is queued: return the event (changed or not) to
 * keep it, or `null`/`undefined` to drop it. A plugin that throws is skipped for that event.
 */
export type Plugin = (event: ClientEvent) => ClientEvent | null | undefined;

/** Stable codes of the errors passed to `on('error')`. */
export type PulseErrorCode =
  | 'invalid_call'
  | 'invalid_options'
  | 'invalid_properties'
  | 'event_too_large'
  | 'plugin'
  | 'storage'
  | 'delivery'
  | 'internal';

/** What `on('error')` receives. The SDK never throws into the host page. */
export interface PulseError {
  code: PulseErrorCode;
  message: string;
}

/** Payloads of the events of `pulse.on()`. */
export interface PulseEventMap {
  /** Bad input, storage or delivery trouble; also logged with console.warn unless routine. */
  error: PulseError;
  /** The edge acknowledged these event ids: they are durable and left the queue. */
  sent: { ids: string[] };
  /** The edge refused one event as invalid; it is not retried. */
  rejected: RejectedEvent;
  /** Events dropped because the queue was full; reported to the edge in the next batch. */
  dropped: { count: number };
  /**
   * The visitor's segments changed (the first answer counts as a change), with the result of
   * `decide()`. While anyone listens, the SDK asks decide at init, on subscribing, and each
   * time the edge acknowledges events (this page's view, an `identify()`), which may move
   * the visitor in or out of segments.
   */
  segment: Decision;
}

/**
 * What `decide()` resolves to: the segments the visitor (or the user it is linked to) is in,
 * and the client actions the site's triggers define for them.
 */
export type Decision = Pick<DecideResponse, 'segments' | 'actions'>;

export type PulseEventName = keyof PulseEventMap;

/** Options of `identify`. */
export interface IdentifyOptions {
  /**
   * Proof of the user id for `decide()`: the lowercase hex HMAC-SHA256 of the user id under
   * your identity secret, made by your server after login and written into the page (never
   * compute it in the browser). Without it, `decide()` answers about the anonymous visitor
   * only: the public key cannot read a user's segments. Kept with the user id (for later
   * visits, cleared by `reset()` and by the next `identify`).
   */
  userHash?: string;
}

/** The SDK. Every method is safe to call at any time and never throws. */
export interface Pulse {
  /** Starts the SDK. Calls made before it are buffered and run right after. */
  init(options: PulseOptions): void;
  /** A custom event. @example pulse.track('signup_clicked', { plan: 'pro' }) */
  track(name: string, properties?: Properties): void;
  /** A page view; `name` defaults to the path. Sent automatically unless `autoPageViews: false`. */
  page(name?: string, properties?: Properties): void;
  /**
   * Links this visitor to a user (after login); the user id is kept for later visits. With
   * `userHash`, made by your server (see IdentifyOptions), `decide()` answers for the user.
   * @example pulse.identify('user-42', { email: 'ada@example.com' }, { userHash })
   */
  identify(userId: string, traits?: Properties, options?: IdentifyOptions): void;
  /** Merges `previousId` (default: the current user or visitor id) into `userId`. */
  alias(userId: string, previousId?: string): void;
  /** Logout: a new visitor id and session, no user. */
  reset(): void;
  /** Sends what is queued now; resolves once the edge has answered (never rejects). */
  flush(): Promise<void>;
  /** Grants or withdraws consent; `false` clears the stored queue and ids and stops sending. */
  consent(granted: boolean): void;
  /** Adds a middleware that can enrich, filter or drop events. */
  use(plugin: Plugin): void;
  /**
   * The visitor's segments and client actions, from the edge (`GET /v1/decide`). Resolves
   * with no segments and no actions when it cannot tell (no consent, offline, an error,
   * reported through `on('error')`); never rejects.
   * @example
   * const { segments, actions } = await pulse.decide();
   * for (const a of actions) if (a.name == 'show_banner') showBanner(a.payload);
   */
  decide(): Promise<Decision>;
  /**
   * Subscribes to `error`, `sent`, `rejected`, `dropped` or `segment`; returns the
   * unsubscribe function.
   */
  on<K extends PulseEventName>(name: K, callback: (data: PulseEventMap[K]) => void): () => void;
}

/** A reply of the edge, reduced to what delivery needs. */
export interface Reply {
  status: number;
  retryAfter: string | null;
  body: unknown;
}

/** Synchronous string storage (localStorage, or memory when it is unavailable). */
export interface Kv {
  get(key: string): string | null;
  set(key: string, value: string): void;
  del(key: string): void;
  keys(): string[];
}

/** A queue row: event id and the event's JSON. */
export type Row = [id: string, json: string];

/**
 * The persistent queue. `shared` is false when only this page can see it (memory). Writes
 * resolve once done, with no value anyone reads.
 */
export interface Store {
  readonly shared: boolean;
  all(): Promise<Row[]>;
  put(rows: Row[]): Promise<unknown>;
  del(ids: string[]): Promise<unknown>;
  clear(): Promise<unknown>;
}

/**
 * Everything the core needs from the outside world, handed in so that the core knows
 * nothing of browser globals and runs in tests with fakes.
 */
export interface Env {
  now(): number;
  /** Uniform in [0, 1). */
  rand(): number;
  kv: Kv;
  queueStore: Store;
  /** POST a body (GET without one); rejects on network errors. */
  send(url: string, body?: string, keepalive?: boolean): Promise<Reply>;
  /** navigator.sendBeacon: true when the browser queued it. */
  beacon(url: string, body: string): boolean;
  later(fn: () => void, ms: number): unknown;
  cancelLater(handle: unknown): void;
  pageContext(): EventContext;
  /**
   * Elects the one tab that sends: `onChange(true)` when this tab becomes the sender,
   * `onChange(false)` when another tab holds it. Returns whether this tab holds it now.
   */
  elect(name: string, onChange: (sender: boolean) => void): () => boolean;
}

/** Reports an error: console.warn (unless quiet) and `on('error')`. */
export type Report = (code: PulseErrorCode, message: string, quiet?: boolean) => void;

export type Emit = <K extends PulseEventName>(name: K, data: PulseEventMap[K]) => void;

/** The delivery pipeline as the client drives it (core/delivery.ts). */
export interface Delivery {
  /**
   * `<endpoint>/v1/<path>?key=<key>`: the one place the edge's URLs are made (events, receipts,
   * decide), so an endpoint whose host or path holds `/events` is never rewritten.
   */
  edgeUrl(path: string): string;
  /** Queues one serialised event (already checked for size). */
  queueEvent(id: string, json: string): void;
  /** Sends what is queued now; resolves when the edge has answered. */
  flush(): Promise<void>;
  /** A navigation away started: send at once, so the answer may still arrive in time. */
  leave(): void;
  /** Page hidden or leaving: journal synchronously, then keepalive/beacon what is unsent. */
  pageHidden(): void;
  /** Back online: retry at once. */
  online(): void;
  /** Another tab wrote to the queue (storage event on `key`). */
  poked(key: string): void;
  /** Consent given: store what waited in memory and start sending. */
  startSending(): void;
  /** Consent withdrawn: forget every queued event. */
  forgetAll(): Promise<void>;
}
