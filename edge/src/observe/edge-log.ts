import type { MiddlewareHandler } from 'hono';
import { childTraceparent, traceIdOf } from '@pulse/contract';
import type { EdgeEnv } from '../deps';

/** What one log line is about: `customer`, `route`, `err`, … (`trace_id` is bound per request). */
export type LogFields = Record<string, unknown>;

/**
 * The edge's structured log: one JSON object per line. The shape is the part of pino's `Logger`
 * the edge uses, so the Node adapter passes a pino logger as it is, and Workers use `jsonLog`
 * (console.log of an object string: Workers Logs index its fields, wrangler.toml
 * `[observability]`).
 */
export interface EdgeLog {
  error(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  info(fields: LogFields, message: string): void;
  /** A log whose lines all carry `bindings` (a request's `trace_id`). */
  child(bindings: LogFields): EdgeLog;
}

const LEVELS = { error: 50, warn: 40, info: 30 } as const;

/** An Error as a plain object, as pino's `err` serializer writes it. */
function serialize(value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  return { type: value.name, message: value.message, stack: value.stack };
}

/**
 * A dependency-free `EdgeLog` writing one JSON line per call through `write`, with pino's
 * field names (`level` as a number, `time` in ms, `msg`), so the lines of both runtimes parse
 * alike.
 */
export function jsonLog(
  write: (line: string) => void = (line) => console.log(line),
  now: () => number = Date.now,
  bindings: LogFields = {},
): EdgeLog {
  const line = (level: keyof typeof LEVELS) => (fields: LogFields, message: string) => {
    const record: LogFields = { level: LEVELS[level], time: now(), ...bindings };
    for (const [name, value] of Object.entries(fields)) record[name] = serialize(value);
    record.msg = message;
    write(JSON.stringify(record));
  };
  return {
    error: line('error'),
    warn: line('warn'),
    info: line('info'),
    child: (more) => jsonLog(write, now, { ...bindings, ...more }),
  };
}

/**
 * Records the edge's span of each request where a runtime exports spans (the Node edge over
 * OTLP, backend/src/tracing/tracing.ts): runs `work` in a span, a child of `parent` (the
 * client's `traceparent`), and hands `work` the span's own traceparent.
 */
export interface EdgeSpans {
  inSpan(
    name: string,
    parent: string | undefined,
    attributes: Record<string, string>,
    work: (traceparent: string | undefined) => Promise<void>,
  ): Promise<void>;
}

/**
 * Gives every request its span (`traceparent`, a child of the client's when it sent a valid
 * one) and a log bound to its trace id, as `c.var.traceparent` and `c.var.log`: the ingest
 * carries the span on to the backend, and every line logged about the request can be found
 * with the backend's and processor's lines of the same trace. With `spans`, the span is
 * recorded (and exported) too; without, only its id exists.
 */
export function traceRequests(log: EdgeLog, spans?: EdgeSpans): MiddlewareHandler<EdgeEnv> {
  return async (c, next) => {
    const parent = c.req.header('traceparent');
    const handle = async (own: string | undefined) => {
      const traceparent = own ?? childTraceparent(parent);
      c.set('traceparent', traceparent);
      c.set('log', log.child({ trace_id: traceIdOf(traceparent) }));
      await next();
    };
    if (!spans) return handle(undefined);
    const attributes = { 'http.request.method': c.req.method, 'url.path': c.req.path };
    await spans.inSpan('pulse.edge', parent, attributes, handle);
  };
}
