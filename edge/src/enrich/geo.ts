import type { EventContext } from '@pulse/contract';

type Geo = NonNullable<EventContext['geo']>;
const GEO_FIELDS = ['country', 'region', 'city', 'timezone'] as const;

/**
 * Geo of the client from Cloudflare's `request.cf`. Absent on Node, and partly or wholly
 * absent under `wrangler dev` (no network to fetch it), so every field is optional.
 */
export function geoOf(request: Request): Geo | undefined {
  const cf = (request as { cf?: unknown }).cf;
  if (typeof cf !== 'object' || cf === null) return undefined;
  let geo: Geo | undefined;
  for (const field of GEO_FIELDS) {
    const value = (cf as Record<string, unknown>)[field];
    if (typeof value === 'string' && value) (geo ??= {})[field] = value;
  }
  return geo;
}
