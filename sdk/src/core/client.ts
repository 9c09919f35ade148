import type { ClientEvent, EventContext, EventType, Properties } from '@pulse/contract';
import type { Delivery } from './delivery';
import { createEmitter, type Listener } from './emitter';
import { safeJson, utf8Bytes } from './safe-json';
import { touchSession, type Kv } from './session';
import { uuidv7 } from './uuid';
import { DEFAULTS, type PulseOptions, type ResolvedOptions } from '../options';

/** Enriches, changes or drops (by returning null) each event before it is queued. */
export type Plugin = (event: ClientEvent) => ClientEvent | null | undefined | void;

/** What the client is handed by the browser glue (or by tests). */
export interface ClientEnv {
  kv: Kv;
  context(): EventContext;
  delivery(options: ResolvedOptions): Delivery;
  /** Called once after init: page views, clicks, page-hide and online listeners. */
  start(client: PulseClient, options: ResolvedOptions): void;
}

const MAX_EVENT_BYTES = 32 * 1024; // contract LIMITS.maxEventBytes (tests check they agree)
const MAX_EARLY_CALLS = 1000;

export type PulseClient = ReturnType<typeof createClient>;

/**
 * The public API. Every method catches everything: the SDK never throws into the host page;
 * problems go to `console.warn` and `on('error')`.
 */
export const createClient = (env: ClientEnv) => {
  const { kv } = env;
  const events = createEmitter();
  const plugins: Plugin[] = [];
  const early: Array<() => void> = [];
  let opts: ResolvedOptions | undefined;
  let delivery: Delivery | undefined;
  let granted = false;

  const fail = (error: unknown): void => {
    console.warn('pulse:', error);
    events.emit('error', error);
  };
  const guard =
    <A extends unknown[], R>(fn: (...args: A) => R, needsInit = true) =>
    (...args: A): R | undefined => {
      try {
        if (!needsInit || opts) return fn(...args);
        if (early.length < MAX_EARLY_CALLS) early.push(() => fn(...args));
        else fail(new Error('called before init; call dropped'));
      } catch (e) {
        fail(e);
      }
    };

  // Ids are kept in memory until consent allows storing them.
  const ids: Record<string, string> = {};
  const id = (name: string, make = uuidv7): string => {
    const stored = granted ? kv.get(name) : null;
    const value = ids[name] || stored || make();
    ids[name] = value;
    if (granted && stored !== value) kv.set(name, value);
    return value;
  };

  const emitEvent = (
    type: EventType,
    name: string,
    properties: Properties = {},
    extra?: Partial<ClientEvent>,
  ) => {
    if (!granted || !delivery) return;
    const now = Date.now();
    let event: ClientEvent | null | undefined | void = {
      event_id: uuidv7(now),
      visitor_id: id('pulse:v'),
      user_id: ids['pulse:u'] || kv.get('pulse:u'),
      session_id: touchSession(kv, now, uuidv7),
      event_type: type,
      event_name: name,
      properties,
      context: env.context(),
      timestamp: new Date(now).toISOString(),
      ...extra,
    };
    for (const plugin of plugins) {
      try {
        event = plugin(event);
      } catch (e) {
        fail(e); // a broken plugin must not lose the event
      }
      if (!event) return;
    }
    const json = safeJson(event);
    if (!json) return fail(new Error(`event ${name} cannot be serialised`));
    if (utf8Bytes(json) > MAX_EVENT_BYTES)
      return fail(new Error(`event ${name} is over 32 KB; not sent`));
    delivery.enqueue([event.event_id, json]);
  };

  const start = () => {
    delivery = env.delivery(opts!);
    delivery.recover();
    env.start(client, opts!);
    for (const call of early.splice(0)) call();
  };

  const client = {
    /** Starts the SDK. Calls made before it are kept and run after it, in order. */
    init: guard((options: PulseOptions) => {
      if (opts) return fail(new Error('init called twice'));
      if (!options?.key || !options.endpoint) return fail(new Error('init needs key and endpoint'));
      opts = { ...DEFAULTS, ...options };
      const consent = kv.get('pulse:c');
      granted = opts.requireConsent ? consent === '1' : consent !== '0';
      if (granted) start();
    }, false),
    /** A custom event. */
    track: guard((name: string, properties?: Properties) =>
      emitEvent('custom', String(name), properties),
    ),
    /** A page view; `name` defaults to the document title. */
    page: guard((name?: string, properties?: Properties) => {
      const page = env.context().page || {};
      emitEvent('page_view', name || page.title || page.path || '', { ...page, ...properties });
    }),
    /** Links this visitor to `userId` (after login). */
    identify: guard((userId: string, traits?: Properties) => {
      ids['pulse:u'] = String(userId);
      if (granted) kv.set('pulse:u', String(userId));
      emitEvent('identify', 'identify', traits, { user_id: String(userId) });
    }),
    /** Merges `previousId` (default: this visitor) into `userId`. */
    alias: guard((userId: string, previousId?: string) =>
      emitEvent(
        'alias',
        'alias',
        {},
        { user_id: String(userId), previous_id: previousId || id('pulse:v') },
      ),
    ),
    /** Logout: a new visitor and session, and no user. */
    reset: guard(() => {
      for (const k of ['pulse:u', 'pulse:v', 'pulse:s']) {
        delete ids[k];
        kv.del(k);
      }
    }),
    /** Sends what is queued now; resolves once the edge has answered. */
    flush: guard(() => delivery?.flush() ?? Promise.resolve()),
    /** Grants or withdraws consent; withdrawing clears everything queued. */
    consent: guard((yes: boolean) => {
      kv.set('pulse:c', yes ? '1' : '0');
      if (yes && !granted) {
        granted = true;
        if (!delivery) start();
      } else if (!yes) {
        granted = false;
        for (const k of ['pulse:u', 'pulse:v', 'pulse:s']) kv.del(k);
        void delivery?.clear().catch(fail);
      }
    }),
    /** Adds a plugin: `(event) => event | null`. */
    use: guard((plugin: Plugin) => void plugins.push(plugin), false),
    /** Listens to 'error', 'sent', 'rejected' or 'dropped'; returns an unsubscribe function. */
    on: guard((name: string, listener: Listener) => events.on(name, listener), false),
    /** @internal used by the browser glue */
    emit: events.emit,
    /** @internal used by the browser glue */
    event: emitEvent,
  };
  return client;
};
