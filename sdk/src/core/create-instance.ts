import { createClient, type Client } from './client';
import { DEFAULTS, type PulseOptions, type Settings } from './options';
import type { Emit, Env, Plugin, Pulse, PulseEventName, Report } from './types';

/** What a runtime supplies: its globals as an Env, and the glue that feeds the client. */
export interface Platform {
  env(settings: Settings, report: Report): Env;
  attach(client: Client, settings: Settings): void;
}

/** Calls buffered before init(); beyond this many they are dropped with a warning. */
const MAX_EARLY_CALLS = 100;

type Buffered = Exclude<keyof Pulse, 'init' | 'use' | 'on'>;

/**
 * A Pulse instance: subscriptions and plugins work at once; the other calls are buffered
 * until init() and then run in order.
 */
export const createInstance = (platform: Platform): Pulse => {
  type Listener = (data: unknown) => void;
  const subs: Partial<Record<PulseEventName, Listener[]>> = {};
  const plugins: Plugin[] = [];
  const early: Array<() => void> = [];
  let client: Client | undefined;
  // While anyone listens for segment changes: ask decide at init, on subscribing, and each
  // time the edge acknowledged events (this page's view, an identify), which may change them.
  const poll = () => {
    if (client && subs.segment?.length) void client.decide();
  };

  const emit: Emit = (name, data) => {
    for (const cb of subs[name] || []) {
      try {
        cb(data);
      } catch {
        // A subscriber's own error stays with it; it must not break delivery.
      }
    }
    if (name == 'sent') poll();
  };
  const report: Report = (code, message, quiet) => {
    if (!quiet) console.warn(`pulse: ${message}`);
    emit('error', { code, message });
  };

  const call =
    <K extends Buffered>(name: K) =>
    (...args: Parameters<Pulse[K]>): ReturnType<Pulse[K]> => {
      const run = () => (client![name] as (...a: typeof args) => ReturnType<Pulse[K]>)(...args);
      if (client) return run();
      if (early.length < MAX_EARLY_CALLS) {
        // flush() before init resolves once the buffered flush has run.
        return new Promise<void>((resolve) =>
          early.push(() => resolve(run() as void)),
        ) as ReturnType<Pulse[K]>;
      }
      report('invalid_call', `${name}() before init(), dropped`);
      return undefined as ReturnType<Pulse[K]>;
    };

  const api = {
    init: (options) => {
      try {
        if (client) return report('invalid_call', 'init() called twice, ignored');
        const settings: Settings = { ...DEFAULTS, ...options };
        const { key, endpoint } = settings as Partial<PulseOptions>;
        if (!key || typeof key != 'string' || !endpoint || typeof endpoint != 'string') {
          return report('invalid_options', 'init() needs key and endpoint strings');
        }
        const env = platform.env(settings, report);
        client = createClient(settings, env, emit, report, plugins);
        platform.attach(client, settings);
        for (const run of early.splice(0)) run();
        poll();
      } catch (error) {
        report('internal', `init() failed (${error})`);
      }
    },
    use: (plugin) => {
      if (typeof plugin == 'function') plugins.push(plugin);
      else report('invalid_call', 'use() needs a function');
    },
    on: (name, callback) => {
      const list: Listener[] = (subs[name as PulseEventName] ||= []);
      list.push(callback as Listener);
      if (name == 'segment') poll();
      // A second call finds nothing: -1 >>> 0 is past the end, and splice there removes nothing.
      return () => void list.splice(list.indexOf(callback as Listener) >>> 0, 1);
    },
  } as Pulse;
  // The calls buffered until init(), by name (a loop is fewer bytes than one entry each).
  for (const name of 'track page identify alias reset flush consent decide'.split(
    ' ',
  ) as Buffered[]) {
    (api as unknown as Record<Buffered, unknown>)[name] = call(name);
  }
  return api;
};
