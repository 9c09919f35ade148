import type { MiddlewareHandler } from 'hono';
import { LIMITS } from '@pulse/contract';
import { EdgeError } from '../../errors/edge-error';
import type { EdgeEnv } from '../../deps';

/**
 * Media types the edge reads. `text/plain` is what the Pulse SDK and analytics.js send (a CORS
 * simple request, and the only type `sendBeacon` sends without a preflight); `application/json`
 * is what Segment's HTTP API asks server libraries for.
 */
const ACCEPTED_TYPES = new Set(['application/json', 'text/plain']);

/**
 * Reads and parses the body once, before anything else needs it (the write key may be in it):
 * 415 for another content type or encoding, 413 past `LIMITS.maxRequestBytes` (counted while
 * reading, after decompression, so a missing or lying Content-Length cannot get past it), and
 * 400 for a body that is not JSON.
 */
export function readBody(maxBytes: number = LIMITS.maxRequestBytes): MiddlewareHandler<EdgeEnv> {
  return async (c, next) => {
    const contentType = c.req.header('content-type');
    const mediaType = contentType?.split(';', 1)[0]?.trim().toLowerCase() ?? '';
    if (!ACCEPTED_TYPES.has(mediaType)) {
      throw new EdgeError(
        'unsupported_media_type',
        contentType
          ? `content type ${contentType} is not accepted; send application/json or text/plain`
          : 'the request has no content type; send application/json or text/plain',
      );
    }
    const declared = Number(c.req.header('content-length'));
    if (declared > maxBytes) throw tooLarge(maxBytes);

    const bytes = await readBytes(c.req.raw, declared, maxBytes);
    const text = new TextDecoder().decode(bytes);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      const reason = error instanceof Error ? error.message : 'unparseable';
      throw new EdgeError(
        'invalid_json',
        text.length ? `body is not valid JSON: ${reason.slice(0, 200)}` : 'body is empty',
      );
    }
    c.set('rawBody', text);
    c.set('body', body);
    c.set('bodyBytes', bytes.byteLength);
    await next();
  };
}

function tooLarge(maxBytes: number): EdgeError {
  return new EdgeError('payload_too_large', `body is over the limit of ${maxBytes} bytes`);
}

/**
 * The body's bytes. With a Content-Length within the limit and no compression, the runtime
 * reads it whole (its HTTP parser holds the body to that length; on Node this skips web
 * streams, the costliest part of a request); otherwise the body is streamed and counted.
 */
async function readBytes(
  request: Request,
  declared: number,
  maxBytes: number,
): Promise<Uint8Array> {
  const encoding = request.headers.get('content-encoding');
  if (declared >= 0 && (!encoding || encoding.trim().toLowerCase() === 'identity')) {
    try {
      const buffer = await request.arrayBuffer();
      if (buffer.byteLength > maxBytes) throw tooLarge(maxBytes);
      return new Uint8Array(buffer);
    } catch (error) {
      if (error instanceof EdgeError) throw error;
      throw new EdgeError('invalid_json', 'body could not be read (cut short)');
    }
  }
  return readLimited(bodyStream(request), maxBytes);
}

/** The body, decompressed when a Segment library sent it gzipped. */
function bodyStream(request: Request): ReadableStream<Uint8Array> | null {
  const encoding = request.headers.get('content-encoding')?.trim().toLowerCase();
  if (!encoding || encoding === 'identity') return request.body;
  if (encoding !== 'gzip' && encoding !== 'deflate') {
    throw new EdgeError(
      'unsupported_media_type',
      `content encoding ${encoding} is not accepted; send gzip, deflate or none`,
    );
  }
  return request.body?.pipeThrough(new DecompressionStream(encoding)) ?? null;
}

/** Reads a stream whole, refusing it as soon as it passes `maxBytes`. */
async function readLimited(
  stream: ReadableStream<Uint8Array> | null,
  maxBytes: number,
): Promise<Uint8Array> {
  if (!stream) return new Uint8Array(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        void reader.cancel().catch(() => undefined);
        throw tooLarge(maxBytes);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof EdgeError) throw error;
    // A corrupt gzip stream or a client that went away mid-body.
    throw new EdgeError('invalid_json', 'body could not be read (bad compression or cut short)');
  }
  if (chunks.length === 1 && chunks[0]) return chunks[0];
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
