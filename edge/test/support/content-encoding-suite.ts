import { describe, expect, it } from 'vitest';
import { LIMITS, type ErrorResponse } from '@pulse/contract';
import { GZIP_BOMB_CODINGS, gzipBomb } from './gzip-bomb';

type Bytes = Uint8Array<ArrayBuffer>;

/** An edge as the suite sees it: the app in-process, the Worker in workerd, or Node over HTTP. */
export interface EncodingTarget {
  /** POSTs `body` to `path` (which carries a write key the edge knows) with `headers`. */
  post(
    path: string,
    body: Bytes | ReadableStream<Bytes>,
    headers: Record<string, string>,
  ): Promise<Response>;
  /** Event ids the edge has handed to its sink so far. */
  delivered(): Promise<string[]>;
}

/** Every endpoint that takes a body, with a body of one fresh event for it. */
const ENDPOINTS: Record<string, (id: string) => unknown> = {
  '/v1/events': (id) => ({
    sent_at: new Date().toISOString(),
    events: [
      {
        event_id: id,
        visitor_id: 'v1',
        event_type: 'custom',
        event_name: 'gz',
        timestamp: new Date().toISOString(),
      },
    ],
  }),
  '/v1/batch': (id) => ({
    batch: [{ type: 'track', messageId: id, anonymousId: 'a1', event: 'gz' }],
  }),
  '/v1/track': (id) => ({ messageId: id, anonymousId: 'a1', event: 'gz' }),
  '/v1/page': (id) => ({ messageId: id, anonymousId: 'a1', name: 'Home' }),
  '/v1/screen': (id) => ({ messageId: id, anonymousId: 'a1', name: 'Home' }),
  '/v1/identify': (id) => ({ messageId: id, anonymousId: 'a1', userId: 'u1' }),
  '/v1/alias': (id) => ({ messageId: id, userId: 'u1', previousId: 'u0' }),
  '/v1/group': (id) => ({ messageId: id, anonymousId: 'a1', groupId: 'g1' }),
  '/v1/receipts': (id) => ({ event_ids: [id] }),
};

const encoder = new TextEncoder();
/** UTF-8 bytes of `text` (workerd's types give `encode` a looser buffer type). */
const utf8 = (text: string): Bytes => new Uint8Array(encoder.encode(text));

async function compress(bytes: Bytes, format: string): Promise<Bytes> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream(format as never));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function decompress(bytes: Bytes, format: string): Promise<Bytes> {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream(format as never));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Whether this runtime's streams know brotli (the edge then decodes `br`). */
function runtimeKnowsBrotli(): boolean {
  try {
    new DecompressionStream('brotli' as never);
    return true;
  } catch {
    return false;
  }
}

/** A body that arrives in pieces with no Content-Length, as a chunked upload does. */
function streamOf(bytes: Bytes, pieceBytes = 512): ReadableStream<Bytes> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.byteLength) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + pieceBytes));
      offset += pieceBytes;
    },
  });
}

async function expectError(res: Response, status: number, code: string, message: RegExp) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const { error } = (await res.json()) as ErrorResponse;
  expect(error.code).toBe(code);
  expect(error.message).toMatch(message);
}

/**
 * What the edge does with `Content-Encoding`, the same on every runtime: gzip, x-gzip and
 * deflate (and br where the runtime decodes it) on every endpoint with a body; the request
 * limit held on the decoded body, so a gzip bomb gets a quick 413; 415 for a coding it does
 * not decode; 400 for a body that is not what its coding says.
 */
export function describeContentEncoding(runtime: string, target: () => EncodingTarget): void {
  const post = (path: string, body: Bytes | ReadableStream<Bytes>, coding: string) =>
    target().post(path, body, { 'content-type': 'application/json', 'content-encoding': coding });

  describe(`Content-Encoding on ${runtime}`, () => {
    it.each(Object.keys(ENDPOINTS))(
      '%s reads a body sent gzip, x-gzip, deflate and gzip-then-deflate',
      async (path) => {
        for (const [coding, formats] of [
          ['gzip', ['gzip']],
          ['x-gzip', ['gzip']],
          ['deflate', ['deflate']],
          ['gzip, deflate', ['gzip', 'deflate']],
        ] as const) {
          const id = crypto.randomUUID();
          let body = utf8(JSON.stringify(ENDPOINTS[path]!(id)));
          for (const format of formats) body = await compress(body, format);
          const res = await post(path, body, coding);
          expect(res.status, `${path} with ${coding}: ${await res.clone().text()}`).toBe(200);
          if (path === '/v1/receipts') {
            expect(await res.json()).toEqual({ received: [] });
          } else {
            expect(await res.json()).toEqual({ accepted: 1, rejected: [] });
            expect(await target().delivered()).toContain(id);
          }
        }
      },
    );

    it('reads a gzip body that arrives in pieces without a Content-Length', async () => {
      const id = crypto.randomUUID();
      const body = await compress(utf8(JSON.stringify(ENDPOINTS['/v1/batch']!(id))), 'gzip');
      const res = await post('/v1/batch', streamOf(body, 16), 'gzip');
      expect(res.status).toBe(200);
      expect(await target().delivered()).toContain(id);
    });

    it(
      runtimeKnowsBrotli()
        ? 'reads a br body'
        : 'refuses br with 415 where the runtime cannot decode it',
      async () => {
        const id = crypto.randomUUID();
        const json = utf8(JSON.stringify(ENDPOINTS['/v1/track']!(id)));
        if (runtimeKnowsBrotli()) {
          const res = await post('/v1/track', await compress(json, 'brotli'), 'br');
          expect(res.status).toBe(200);
          expect(await target().delivered()).toContain(id);
        } else {
          await expectError(
            await post('/v1/track', json, 'br'),
            415,
            'unsupported_media_type',
            /content encoding br is not accepted; send gzip, x-gzip, deflate or none/,
          );
        }
      },
    );

    it('holds the request limit on the decoded body, not on the compressed bytes', async () => {
      const id = crypto.randomUUID();
      const json = JSON.stringify(ENDPOINTS['/v1/track']!(id));
      // JSON may end in white space: a body of exactly the limit compresses to about 1 KB.
      const atLimit = json + ' '.repeat(LIMITS.maxRequestBytes - json.length);
      const fits = await compress(utf8(atLimit), 'gzip');
      expect(fits.byteLength).toBeLessThan(LIMITS.maxRequestBytes / 100);
      // A single call is held to the per-event limit after reading: the body limit passed.
      await expectError(await post('/v1/track', fits, 'gzip'), 413, 'event_too_large', /32768/);

      const over = await compress(utf8(`${atLimit} `), 'gzip');
      await expectError(
        await post('/v1/track', over, 'gzip'),
        413,
        'payload_too_large',
        new RegExp(`body is over the limit of ${LIMITS.maxRequestBytes} bytes`),
      );
      const batchId = crypto.randomUUID();
      const batch = JSON.stringify(ENDPOINTS['/v1/batch']!(batchId));
      const batchAtLimit = batch + ' '.repeat(LIMITS.maxRequestBytes - batch.length);
      const res = await post('/v1/batch', await compress(utf8(batchAtLimit), 'gzip'), 'gzip');
      expect(res.status).toBe(200);
      expect(await target().delivered()).toContain(batchId);
    });

    it('answers a 1,826-byte gzip bomb (gzip, gzip → 1 GiB) with 413, whole or in pieces', async () => {
      for (const body of [gzipBomb(), streamOf(gzipBomb())]) {
        await expectError(
          await post('/v1/batch', body, GZIP_BOMB_CODINGS),
          413,
          'payload_too_large',
          /body is over the limit of 512000 bytes/,
        );
      }
    });

    it('answers 400 KB of one gzip layer that inflates to 400 MB with 413', async () => {
      const inner = (await decompress(gzipBomb(), 'gzip')).slice(0, 400 * 1024);
      for (const path of Object.keys(ENDPOINTS)) {
        await expectError(
          await post(path, inner, 'gzip'),
          413,
          'payload_too_large',
          /over the limit/,
        );
      }
    });

    it('refuses a coding it does not decode, or too many, with 415', async () => {
      const json = utf8(JSON.stringify(ENDPOINTS['/v1/batch']!(crypto.randomUUID())));
      for (const [coding, message] of [
        ['compress', /content encoding compress is not accepted; send gzip, x-gzip, deflate/],
        ['zstd', /content encoding zstd is not accepted/],
        ['gzip, bogus', /content encoding bogus is not accepted/],
        ['gzip, gzip, gzip, gzip', /stacks 4 codings; at most 3 are decoded/],
      ] as const) {
        await expectError(
          await post('/v1/batch', json, coding),
          415,
          'unsupported_media_type',
          message,
        );
      }
    });

    it('answers 400 for a body that is not what its coding says', async () => {
      const json = utf8(JSON.stringify(ENDPOINTS['/v1/batch']!(crypto.randomUUID())));
      const gzip = await compress(json, 'gzip');
      for (const [body, coding] of [
        [utf8('not gzip at all'), 'gzip'],
        [gzip.slice(0, gzip.byteLength - 12), 'gzip'], // cut short
        [gzip, 'deflate'],
        [gzip, 'gzip, gzip'],
      ] as const) {
        await expectError(
          await post('/v1/batch', body, coding),
          400,
          'invalid_request',
          new RegExp(`body could not be decoded as ${coding} \\(corrupt or cut short\\)`),
        );
      }
    });
  });
}
