import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { Sink } from '@pulse/contract';
import { TRACEPARENT_PATTERN } from '@pulse/contract';

/**
 * Spans of the backend, exported over OTLP/HTTP (JSON) when an endpoint is configured
 * (`OTEL_EXPORTER_OTLP_ENDPOINT`, docs/configuration.md). They continue the trace the edge
 * starts (contract/src/trace.ts): `pulse.ingest` is a child of the edge's span and its own
 * `traceparent` is what the Kafka record carries, so `pulse.process` (one per trace in a
 * consumed batch) is a child of it. Without an endpoint nothing is created and the traceparent
 * is carried on unchanged.
 */
export interface Tracing {
  /** Runs `work` in a span, a child of `parent`; `work` gets the traceparent to carry on. */
  inSpan<T>(
    name: string,
    kind: SpanKind,
    parent: string | undefined,
    attributes: Attributes,
    work: (traceparent: string | undefined) => Promise<T>,
  ): Promise<T>;
  /**
   * Runs `work` (one consumed batch) in one span per distinct parent, at most
   * {@link MAX_SPANS_PER_BATCH}: a batch serves many traces, and each trace shows its step.
   */
  inBatchSpans<T>(
    name: string,
    parents: Iterable<string>,
    attributes: Attributes,
    work: () => Promise<T>,
  ): Promise<T>;
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>;
}

/** Spans one consumed batch opens; parents beyond it get none (their ids still reach the log). */
export const MAX_SPANS_PER_BATCH = 64;

export interface TracingOptions {
  /** OTLP/HTTP base URL (`http://collector:4318`); spans go to `<endpoint>/v1/traces`. */
  endpoint?: string;
  /** `service.name` of the spans. */
  serviceName: string;
}

const NO_TRACING: Tracing = {
  inSpan: (_name, _kind, parent, _attributes, work) => work(parent),
  inBatchSpans: (_name, _parents, _attributes, work) => work(),
  shutdown: () => Promise.resolve(),
};

/** The parent context of a valid traceparent (a remote span), else the root. */
function parentContext(traceparent: string | undefined) {
  if (!traceparent || !TRACEPARENT_PATTERN.test(traceparent)) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: traceparent.slice(3, 35),
    spanId: traceparent.slice(36, 52),
    traceFlags: Number.parseInt(traceparent.slice(53, 55), 16),
    isRemote: true,
  });
}

/** The `traceparent` naming `span`, to carry to the next step. */
function traceparentOf(span: Span): string {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return `00-${traceId}-${spanId}-${traceFlags.toString(16).padStart(2, '0')}`;
}

function endSpan(span: Span, error?: unknown): void {
  if (error !== undefined) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
  }
  span.end();
}

async function spanning<T>(spans: Span[], work: () => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await work();
  } catch (error) {
    for (const span of spans) endSpan(span, error);
    throw error;
  }
  for (const span of spans) endSpan(span);
  return result;
}

/**
 * The backend's tracing: OTLP export when `endpoint` is set, else nothing.
 *
 * @example
 * const tracing = createTracing({ endpoint: 'http://127.0.0.1:4318', serviceName: 'pulse-backend' });
 * await tracing.inSpan('pulse.ingest', SpanKind.SERVER, batch.traceparent, {}, (tp) => write(tp));
 */
export function createTracing(options: TracingOptions): Tracing {
  if (!options.endpoint) return NO_TRACING;
  const url = `${options.endpoint.replace(/\/+$/, '')}/v1/traces`;
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url }) })],
  });
  const tracer: Tracer = provider.getTracer('pulse');
  return {
    inSpan(name, kind, parent, attributes, work) {
      const span = tracer.startSpan(name, { kind, attributes }, parentContext(parent));
      return spanning([span], () => work(traceparentOf(span)));
    },
    inBatchSpans(name, parents, attributes, work) {
      const spans: Span[] = [];
      for (const parent of new Set(parents)) {
        if (spans.length === MAX_SPANS_PER_BATCH) break;
        const context = parentContext(parent);
        if (context === ROOT_CONTEXT) continue;
        const span = tracer.startSpan(name, { kind: SpanKind.CONSUMER, attributes }, context);
        spans.push(span);
      }
      return spanning(spans, work);
    },
    shutdown: () => provider.shutdown(),
  };
}

/**
 * The ingest sink with each write in a `pulse.ingest` span, a child of the edge's span; the
 * batch goes on carrying the span's own traceparent (to the Kafka record's header).
 */
export function tracedSink(sink: Sink, tracing: Tracing): Sink {
  return {
    write(batch) {
      const attributes = {
        'pulse.customer_id': batch.customer_id,
        'pulse.events': batch.events.length,
        'pulse.dead_letters': batch.dead_letters.length,
      };
      return tracing.inSpan('pulse.ingest', SpanKind.SERVER, batch.traceparent, attributes, (tp) =>
        sink.write(tp ? { ...batch, traceparent: tp } : batch),
      );
    },
  };
}

export { SpanKind };
