import type { ClientEvent, EventType, Properties } from '@pulse/contract';
import { createDelivery } from './delivery';
import { createIdentity } from './identity';
import type { Settings } from './options';
import { serialise } from './serialise';
import type { Decision, Emit, Env, IdentifyOptions, Plugin, Pulse, Report } from './types';
import { utf8Length } from './utf8-length';
import { uuidv7 } from './uuid-v7';

/** LIMITS.maxEventBytes of @pulse/contract (a test keeps them equal; the SDK imports types only). */
export const MAX_EVENT_BYTES = 32768;

/** The initialised SDK: the public calls plus the hooks the browser glue drives. */
export type Client = Omit<Pulse, 'init' | 'use' | 'on'> & {
  /** A click captured on the page. */
  click(name: string, properties: Properties): void;
  pageHidden(): void;
  online(): void;
  leave(): void;
  poked(key: string): void;
};

const isProps = (p: unknown) => p == null || (typeof p == 'object' && !Array.isArray(p));

/**
 * Builds events (ids, session, context, plugins, size check) and hands them to delivery.
 * Every entry point catches: nothing reaches the host page but reports.
 */
export const createClient = (
  o: Settings,
  env: Env,
  emit: Emit,
  report: Report,
  plugins: Plugin[],
): Client => {
  const { kv } = env;
  // The visitor's answer, kept under `pulse:c` ('1' granted, '0' refused); written as a
  // literal both times, which minifies smaller than a constant.
  const choice = kv.get('pulse:c');
  // Refused (consent(false), now or on an earlier visit): nothing is collected at all. Merely
  // undecided (requireConsent): events wait in memory for the answer.
  let refused = choice == '0';
  let granted = choice == '1' || (!refused && !o.requireConsent);
  const newId = () => uuidv7(env.now(), env.rand);
  const id = createIdentity(kv, env.now, newId, o.sessionTimeout, () => granted);
  const delivery = createDelivery(o, env, emit, report, () => granted, newId());

  const safe =
    <A extends unknown[], R>(fn: (...args: A) => R) =>
    (...args: A): R | undefined => {
      try {
        return fn(...args);
      } catch (error) {
        report('internal', String(error));
      }
    };

  const send = (
    type: EventType,
    name: unknown,
    props: unknown,
    extra?: Partial<ClientEvent>,
  ): void => {
    if (refused) return;
    if (typeof name != 'string' || !isProps(props)) {
      return report('invalid_call', `${type} needs a name string and a properties object`);
    }
    const context = env.pageContext();
    let event: ClientEvent | null | undefined = {
      event_id: newId(),
      visitor_id: id.visitor(),
      user_id: id.user(),
      session_id: id.currentSession(),
      event_type: type,
      event_name: name,
      // A copy: plugins may change it without touching the page's object.
      properties: { ...(type == 'page_view' && context.page), ...(props as Properties) },
      context,
      timestamp: new Date(env.now()).toISOString(),
      ...extra,
    };
    for (const plugin of plugins) {
      try {
        event = plugin(event);
      } catch (error) {
        report('plugin', `plugin failed, skipped (${error})`);
      }
      if (!event) return;
    }
    const json = serialise(event, report);
    if (!json) return;
    // Up to a third of the limit in characters cannot reach it in bytes: skip the encoding.
    const size = json.length > MAX_EVENT_BYTES / 3 ? utf8Length(json) : 0;
    if (size > MAX_EVENT_BYTES) {
      return report(
        'event_too_large',
        `${name} is ${size} bytes (limit ${MAX_EVENT_BYTES}), dropped`,
      );
    }
    delivery.queueEvent(String(event.event_id), json);
  };

  /** The user id when it is a non-empty string; otherwise reports it and gives undefined. */
  const user = (userId: unknown) =>
    (typeof userId == 'string' && userId) ||
    report('invalid_call', 'user id must be a non-empty string');

  /** The segments of the last decision, to tell listeners of a change only. */
  let segments: string | undefined;

  if (granted) delivery.startSending();

  return {
    track: safe((name: string, props?: Properties) => send('custom', name, props)),
    page: safe((name?: string | Properties, props?: Properties) => {
      if (typeof name == 'object') {
        props = name;
        name = undefined;
      }
      send('page_view', name ?? env.pageContext().page?.path ?? '', props);
    }),
    click: safe((name: string, props: Properties) => send('click', name, props)),
    identify: safe((userId: string, traits?: Properties, options?: IdentifyOptions) => {
      if (refused || !user(userId)) return;
      id.setUser(userId, options?.userHash);
      send('identify', 'identify', traits);
    }),
    alias: safe((userId: string, previousId?: string) => {
      if (!user(userId)) return;
      send('alias', 'alias', undefined, {
        user_id: userId,
        previous_id: previousId || id.user() || id.visitor(),
      });
    }),
    reset: id.resetIds,
    decide: async () => {
      let d: Decision = { segments: [], actions: [] };
      try {
        // Without consent the visitor id is not shared, not even to ask.
        if (granted) {
          // The visitor id is a UUIDv7 made here: URL-safe as it is. The user is asked about
          // only with the proof identify was given for it (reset and identify replace it).
          const r = await env.send(
            `${delivery.edgeUrl('decide')}&visitor_id=${id.visitor()}${id.proof() || ''}`,
          );
          if (r.status != 200) throw r.status;
          // Over the empty decision: a body that is not one (a proxy's page) leaves it empty.
          d = { ...d, ...(r.body as Decision) };
          const s = JSON.stringify(d.segments);
          if (s != segments) emit('segment', d);
          segments = s;
        }
      } catch (error) {
        report('delivery', `decide failed (${error})`);
      }
      return d;
    },
    flush: async () => {
      try {
        await delivery.flush();
      } catch (error) {
        report('internal', String(error));
      }
    },
    consent: safe((yes: boolean) => {
      granted = !!yes;
      refused = !yes;
      if (refused) {
        // Withdrawn: forget the queue, the journals and the ids; remember only the refusal.
        void delivery.forgetAll();
        for (const k of kv.keys()) if (k.startsWith('pulse:')) kv.del(k);
        id.resetIds();
      }
      kv.set('pulse:c', granted ? '1' : '0');
      if (granted) {
        id.saveIds();
        delivery.startSending();
      }
    }),
    pageHidden: safe(delivery.pageHidden),
    online: safe(delivery.online),
    leave: safe(delivery.leave),
    poked: safe(delivery.poked),
  };
};
