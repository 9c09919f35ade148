import {
  createApp,
  createDailySalt,
  createHttpLegacyForwarder,
  createMemoryConfigStore,
  createMemoryRateLimiter,
  type EdgeDeps,
  type KeyConfig,
} from '../../src';
import { keyConfigs } from './fixtures';
import { createRecordingSink, type RecordingSink } from './recording-sink';

export interface TestEdge {
  app: ReturnType<typeof createApp>;
  sink: RecordingSink;
  /** The edge clock; tests move it. */
  clock: { now: number };
  /** POSTs `body` (JSON-encoded unless a string) to `path`. */
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
}

/** The edge app with a recording sink, an in-memory limiter and a clock the test controls. */
export function createTestEdge(
  options: { keys?: Record<string, KeyConfig>; deps?: Partial<EdgeDeps> } = {},
): TestEdge {
  const sink = createRecordingSink();
  const clock = { now: Date.parse('2025-01-21T10:30:00.050Z') };
  const app = createApp({
    config: createMemoryConfigStore(keyConfigs(options.keys)),
    limiter: createMemoryRateLimiter({ now: () => clock.now }),
    sink,
    legacy: createHttpLegacyForwarder({ timeoutMs: 5_000 }),
    ipSalt: createDailySalt('test-ip-secret'),
    now: () => clock.now,
    ...options.deps,
  });
  return {
    app,
    sink,
    clock,
    post: async (path, body, headers = {}) =>
      app.request(path, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
  };
}
