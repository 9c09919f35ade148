import type { Handler } from 'hono';
import type { KeyConfigStore } from '../config/key-config';
import type { EdgeEnv } from '../deps';
import { EdgeError } from '../errors/edge-error';

/**
 * `GET /sourceConfig/?writeKey=…`: the source config RudderStack's browser SDK (v3) fetches
 * from its control plane before it sends anything. With `configUrl` set to the edge, the page
 * gets it here: an enabled source with no device-mode destinations and no error or metrics
 * reporting to RudderStack. 401 for an unknown key.
 *
 * @example
 * rudderanalytics.load('pk_live_…', 'https://collect.example.com', { configUrl: 'https://collect.example.com' });
 */
export function rudderstackSourceConfig(config: KeyConfigStore): Handler<EdgeEnv> {
  return async (c) => {
    const writeKey = c.req.query('writeKey') ?? '';
    const keyConfig = await config.get(writeKey);
    if (!keyConfig) throw new EdgeError('invalid_key', 'write key is not valid');
    return c.json({
      source: {
        id: keyConfig.customer_id,
        name: keyConfig.customer_id,
        writeKey,
        workspaceId: keyConfig.customer_id,
        enabled: true,
        config: { statsCollection: { errors: { enabled: false }, metrics: { enabled: false } } },
        destinations: [],
      },
    });
  };
}
