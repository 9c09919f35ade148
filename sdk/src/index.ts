import { createBrowserPlatform } from './browser/browser-platform';
import { createInstance } from './core/create-instance';
import type { PulseOptions } from './core/options';
import type { Pulse } from './core/types';

export type { PulseOptions } from './core/options';
export type {
  Decision,
  IdentifyOptions,
  Plugin,
  Pulse,
  PulseError,
  PulseErrorCode,
  PulseEventMap,
  PulseEventName,
} from './core/types';
export type {
  ClientAction,
  ClientEvent,
  EventBatch,
  EventContext,
  Properties,
  RejectedEvent,
} from '@pulse/contract';

/**
 * A separate Pulse instance (its own key, queue and subscriptions); initialised at once when
 * given options. Most sites use the `pulse` singleton instead.
 */
export const createPulse = (options?: PulseOptions): Pulse => {
  const instance = createInstance(createBrowserPlatform());
  if (options) instance.init(options);
  return instance;
};

/**
 * The SDK singleton.
 * @example
 * pulse.init({ key: 'pk_live_…', endpoint: 'https://collect.example.com' });
 * pulse.track('signup_clicked', { plan: 'pro' });
 */
export const pulse: Pulse = /* @__PURE__ */ createPulse();

export const { init, track, page, identify, alias, reset, flush, consent, decide, use, on } = pulse;
