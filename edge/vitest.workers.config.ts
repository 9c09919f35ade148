import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineProject } from 'vitest/config';

/**
 * The same edge inside workerd (@cloudflare/vitest-pool-workers): KV key config, the Durable
 * Object rate limiter and HttpIngestSink, writing to a signature-verifying ingest that the
 * global setup runs in Node.
 */
export default defineProject({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: {
          INGEST_URL: inject('ingestUrl'),
          INGEST_SECRET: inject('ingestSecret'),
          IP_SALT_SECRET: 'workers-test-ip-salt',
        },
      },
    })),
  ],
  test: {
    name: 'edge-workers',
    include: ['test/workers/**/*.test.ts'],
    globalSetup: ['test/support/workers-ingest-setup.ts'],
  },
});
