import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A span as a collector received it, its attributes flattened to key → value. */
export interface ExportedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Record<string, unknown>;
}

/** A running collector: the spans received so far, in arrival order. */
export interface Collector {
  /** Base URL to give as `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  url: string;
  spans: ExportedSpan[];
  close(): Promise<void>;
}

/**
 * An OTLP/HTTP collector (a stand-in for the operator's, outside Pulse): keeps every span of
 * every `POST /v1/traces` (OTLP JSON, ids in hex).
 */
export async function startCollector(): Promise<Collector> {
  const spans: ExportedSpan[] = [];
  type Attribute = { key: string; value: Record<string, unknown> };
  const flat = (attributes: Attribute[] = []) =>
    Object.fromEntries(attributes.map((a) => [a.key, Object.values(a.value)[0]]));
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const request = JSON.parse(body) as {
          resourceSpans: {
            resource: { attributes: Attribute[] };
            scopeSpans: {
              spans: (Omit<ExportedSpan, 'service' | 'attributes'> & {
                attributes: Attribute[];
              })[];
            }[];
          }[];
        };
        for (const resource of request.resourceSpans) {
          const service = String(flat(resource.resource.attributes)['service.name']);
          for (const scope of resource.scopeSpans)
            for (const span of scope.spans)
              spans.push({ ...span, service, attributes: flat(span.attributes) });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
