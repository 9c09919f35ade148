import { pulse } from './index';
import type { Pulse } from './core/types';

/** A call the snippet's stub recorded: method, arguments, and the resolver of its promise. */
type Recorded = [keyof Pulse, unknown[], (value: unknown) => void];

/** The page's window (named at each use: fewer bytes than an alias). */
type PulseWindow = { pulse?: Pulse & { _q?: Recorded[] } };
const stub = (window as unknown as PulseWindow).pulse;

// Replace the stub (or nothing) and replay its calls in order; a second copy of the bundle
// leaves the first one in place.
if (!stub || stub._q) {
  (window as unknown as PulseWindow).pulse = pulse;
  for (const [method, args, resolve] of stub?._q || []) {
    resolve((pulse[method] as (...a: unknown[]) => unknown)(...args));
  }
}
