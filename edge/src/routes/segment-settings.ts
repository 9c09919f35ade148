import type { Handler } from 'hono';
import type { KeyConfigStore } from '../config/key-config';
import type { EdgeEnv } from '../deps';
import { EdgeError } from '../errors/edge-error';

/**
 * `GET /v1/projects/:writeKey/settings`: the settings analytics.js (analytics-next) fetches
 * from its CDN before it sends anything. With `cdnURL` set to the edge, the page gets them here:
 * the Segment.io destination pointed back at this edge (the host and scheme the request came
 * to), no other destinations, and no metrics posted to Segment. 401 for an unknown key.
 *
 * @example
 * AnalyticsBrowser.load({ writeKey: 'pk_live_…', cdnURL: 'https://collect.example.com' });
 */
export function segmentSettings(config: KeyConfigStore): Handler<EdgeEnv> {
  return async (c) => {
    const writeKey = c.req.param('writeKey') ?? '';
    if (!(await config.get(writeKey))) throw new EdgeError('invalid_key', 'write key is not valid');
    const url = new URL(c.req.url);
    return c.json({
      integrations: {
        'Segment.io': {
          apiKey: writeKey,
          apiHost: `${url.host}/v1`,
          protocol: url.protocol.replace(':', ''),
        },
      },
      plan: {},
      middlewareSettings: {},
      enabledMiddleware: {},
      metrics: { sampleRate: 0 },
      remotePlugins: [],
    });
  };
}
