import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollector, type Collector } from '../../../tests/services/otlp-collector';
import { createTracing, MAX_SPANS_PER_BATCH } from './tracing';

const traceparent = (n: number) => `00-${n.toString(16).padStart(32, 'a')}-${'b'.repeat(16)}-01`;

describe('batch spans', () => {
  let collector: Collector;
  beforeAll(async () => {
    collector = await startCollector();
  });
  afterAll(async () => {
    await collector?.close();
  });

  it('open at most 64 spans however many traces a batch carries, and none for invalid parents', async () => {
    const tracing = createTracing({ endpoint: collector.url, serviceName: 'pulse-test' });
    // Every record of a hostile batch names its own trace, and some name garbage.
    const parents = [
      ...Array.from({ length: 500 }, (_, n) => traceparent(n + 1)),
      'not-a-traceparent',
      `00-${'0'.repeat(32)}-${'b'.repeat(16)}-01`,
    ];
    expect(await tracing.inBatchSpans('pulse.process', parents, {}, async () => 'done')).toBe(
      'done',
    );
    await tracing.shutdown();
    const spans = collector.spans.filter((span) => span.name === 'pulse.process');
    expect(spans).toHaveLength(MAX_SPANS_PER_BATCH);
    expect(new Set(spans.map((span) => span.traceId)).size).toBe(MAX_SPANS_PER_BATCH);
  });
});
