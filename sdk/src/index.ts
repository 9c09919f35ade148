/**
 * @pulse/sdk — product analytics that never loses an event.
 *
 * @example
 * import { pulse } from '@pulse/sdk';
 * pulse.init({ key: 'pk_live_…', endpoint: 'https://collect.example.com' });
 * pulse.track('signup_clicked', { plan: 'pro' });
 */
import { createBrowserClient } from './browser/env';

export type { PulseOptions } from './options';
export type { Plugin, PulseClient } from './core/client';
export type { ClientEvent, EventContext, Properties, RejectedEvent } from '@pulse/contract';

/** A separate SDK instance (most sites want the shared `pulse`). */
export const createPulse = createBrowserClient;

/** The shared SDK instance. */
export const pulse = /* @__PURE__ */ createBrowserClient();

export const { init, track, page, identify, alias, reset, flush, consent, use, on } = pulse;
