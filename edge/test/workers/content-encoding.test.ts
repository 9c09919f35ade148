import { SELF, env } from 'cloudflare:test';
import { beforeAll, beforeEach, inject } from 'vitest';
import type { SinkBatch } from '@pulse/contract';
import type { KeyConfig } from '../../src/config/key-config';
import { describeContentEncoding } from '../support/content-encoding-suite';

const control = inject('ingestControlUrl');
const key = `pk_workers_encoding_${Date.now()}`;

beforeAll(async () => {
  const config: KeyConfig = {
    customer_id: `cust_workers_encoding_${Date.now()}`,
    allowed_origins: ['*'],
    rate: { per_second: 100_000, burst: 100_000 },
    routing: 'new',
  };
  await env.KEYS.put(key, JSON.stringify(config));
});

beforeEach(async () => {
  await fetch(`${control}/up`, { method: 'POST' });
});

describeContentEncoding('the Worker in workerd', () => ({
  post: (path, body, headers) =>
    SELF.fetch(`https://edge.test${path}?key=${key}`, { method: 'POST', headers, body }),
  delivered: async () => {
    const { batches } = (await (await fetch(`${control}/recorded`)).json()) as {
      batches: SinkBatch[];
    };
    return batches.flatMap((batch) => batch.events.map((event) => event.event_id));
  },
}));
