import type { MiddlewareHandler } from 'hono';
import { LIMITS } from '@pulse/contract';
import { EdgeError } from '../../errors/edge-error';
import type { EdgeEnv } from '../../deps';
import { readDecodedBody } from './decoded-body';

/**
 * Media types the edge reads, all as JSON. `text/plain` is what the Pulse SDK and analytics.js
 * send (a CORS simple request, and the only type `sendBeacon` sends without a preflight);
 * `application/json` is what Segment's HTTP API asks server libraries for;
 * `application/x-www-form-urlencoded` is what RudderStack's Node SDK (axios posting a gzipped
 * Buffer) labels its JSON batches, which RudderStack's own data plane reads as JSON.
 */
const ACCEPTED_TYPES = new Set([
  'application/json',
  'text/plain',
  'application/x-www-form-urlencoded',
]);

/**
 * Reads and parses the body once, before anything else needs it (the write key may be in it):
 * 415 for another content type or a content encoding not decoded here, 413 past
 * `LIMITS.maxRequestBytes` (counted while reading, after decoding gzip, deflate or br, so a
 * missing or lying Content-Length or a gzip bomb cannot get past it: `readDecodedBody`), and
 * 400 for a body that is corrupt or not JSON.
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
    const bytes = await readDecodedBody(c.req.raw, maxBytes);
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
