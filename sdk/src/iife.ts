import { pulse } from './index';

type Call = [method: keyof typeof pulse, args: unknown[]];
const w = window as unknown as { pulse?: { _q?: Call[] } | typeof pulse };

// The snippet's stub recorded calls made before this bundle loaded: replay them in order.
const recorded = (w.pulse as { _q?: Call[] } | undefined)?._q || [];
w.pulse = pulse;
for (const [method, args] of recorded) (pulse[method] as (...a: unknown[]) => unknown)?.(...args);
