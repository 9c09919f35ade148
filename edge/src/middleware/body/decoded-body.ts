import { EdgeError } from '../../errors/edge-error';

/** Bytes of a request body (never a SharedArrayBuffer). */
type Bytes = Uint8Array<ArrayBuffer>;

/** A DecompressionStream format, as this runtime's types name it. */
type Format = ConstructorParameters<typeof DecompressionStream>[0];

/**
 * Content codings the edge decodes, by their HTTP name, with the `DecompressionStream` format
 * that decodes each. `x-gzip` is gzip (RFC 9110 §8.4.1.3). Brotli (`br`) is decoded only where
 * the runtime's DecompressionStream knows it (see {@link decodes}).
 */
const FORMAT_BY_CODING: Record<string, string> = {
  gzip: 'gzip',
  'x-gzip': 'gzip',
  deflate: 'deflate',
  br: 'brotli',
};

/**
 * Most codings one body may stack (`Content-Encoding: gzip, gzip`). Every stage is held to the
 * byte limit, so the work of one request stays under (codings + 1) × the limit.
 */
export const MAX_CONTENT_CODINGS = 3;

const supported = new Map<string, boolean>();

/** Whether this runtime's DecompressionStream decodes `format` (brotli is newer than gzip). */
function decodes(format: string): boolean {
  let known = supported.get(format);
  if (known === undefined) {
    try {
      new DecompressionStream(format as Format);
      known = true;
    } catch {
      known = false;
    }
    supported.set(format, known);
  }
  return known;
}

/** The codings the runtime decodes, for messages: `gzip, x-gzip, deflate` (and `br`). */
function decodedCodings(): string {
  return Object.keys(FORMAT_BY_CODING)
    .filter((coding) => decodes(FORMAT_BY_CODING[coding]!))
    .join(', ');
}

/**
 * The DecompressionStream formats to apply, in order, for a `Content-Encoding` header (which
 * lists codings in the order they were applied): [] for none or `identity`; 415
 * `unsupported_media_type` for a coding this runtime does not decode or too many of them.
 */
export function decodingFormats(header: string | null): string[] {
  const codings = (header ?? '')
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
  if (codings.length > MAX_CONTENT_CODINGS) {
    throw new EdgeError(
      'unsupported_media_type',
      `content encoding ${header} stacks ${codings.length} codings; at most ${MAX_CONTENT_CODINGS} are decoded`,
    );
  }
  return codings.reverse().map((coding) => {
    const format = FORMAT_BY_CODING[coding];
    if (format === undefined || !decodes(format)) {
      throw new EdgeError(
        'unsupported_media_type',
        `content encoding ${coding} is not accepted; send ${decodedCodings()} or none`,
      );
    }
    return format;
  });
}

function tooLarge(maxBytes: number): EdgeError {
  return new EdgeError('payload_too_large', `body is over the limit of ${maxBytes} bytes`);
}

/**
 * The body's bytes, decoded from its `Content-Encoding` and held to `maxBytes` at every stage:
 * the bytes on the wire and the output of each decoder. Decoding is a stream that is cancelled
 * as soon as a stage passes the limit, so a gzip bomb (a kilobyte that inflates to a gigabyte)
 * costs at most the limit in memory and work before its 413. Errors, as EdgeErrors: 415 for a
 * coding not decoded here, 413 past the limit (checked before reading against a declared
 * Content-Length too), 400 `invalid_request` for a body that is not what its coding says
 * (corrupt gzip) or that was cut short.
 *
 * @example
 * const bytes = await readDecodedBody(c.req.raw, LIMITS.maxRequestBytes);
 */
export async function readDecodedBody(request: Request, maxBytes: number): Promise<Bytes> {
  const contentEncoding = request.headers.get('content-encoding');
  const formats = decodingFormats(contentEncoding);
  const declared = Number(request.headers.get('content-length'));
  if (declared > maxBytes) throw tooLarge(maxBytes);

  if (formats.length === 0 && declared >= 0) {
    // A known length within the limit and no coding: the runtime reads it whole (its HTTP
    // parser holds the body to that length; on Node this skips web streams, the costliest
    // part of a request).
    try {
      const buffer = await request.arrayBuffer();
      if (buffer.byteLength > maxBytes) throw tooLarge(maxBytes);
      return new Uint8Array(buffer);
    } catch (error) {
      if (error instanceof EdgeError) throw error;
      throw new EdgeError('invalid_request', 'body could not be read (cut short)');
    }
  }
  if (!request.body) return new Uint8Array(0);

  const limit = { exceeded: false };
  const feeding: Promise<void>[] = [];
  let stream = request.body.pipeThrough(byteLimit(maxBytes, limit));
  for (const format of formats) {
    const decoder = new DecompressionStream(format as Format);
    feeding.push(feed(stream, decoder.writable));
    stream = decoder.readable.pipeThrough(byteLimit(maxBytes, limit));
  }
  try {
    return await readAll(stream);
  } catch {
    // The answer waits until the client has sent the rest (held to the limit on the wire):
    // an HTTP client still uploading when the server closes sees no answer at all.
    await Promise.all(feeding);
    if (limit.exceeded) throw tooLarge(maxBytes);
    throw new EdgeError(
      'invalid_request',
      formats.length
        ? `body could not be decoded as ${contentEncoding} (corrupt or cut short)`
        : 'body could not be read (cut short)',
    );
  }
}

/**
 * Largest piece handed to a decoder at once. A decoder may inflate a whole piece before its
 * reader asks (workerd's does): a deflate piece of n bytes inflates to at most ~1,032 n, so this
 * bounds what one step can produce to about 256 KB, and backpressure holds the next piece
 * until the limit stage has taken it.
 */
const DECODER_PIECE_BYTES = 256;

/**
 * Writes `source` into a decoder in pieces of at most DECODER_PIECE_BYTES, each after the last
 * was taken. When the decoder fails (a corrupt body) or its reader stops (the limit passed),
 * the rest of `source` is read and dropped: it is held to the limit itself. Resolves once
 * `source` is done; the failure reaches the decoder's reader, so it is not reported here (a
 * plain `pipeTo` left workerd's "incomplete data" rejection of a cut-short body unhandled).
 */
async function feed(source: ReadableStream<Bytes>, sink: WritableStream<BufferSource>) {
  const reader = source.getReader();
  const writer = sink.getWriter();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (let offset = 0; offset < value.byteLength; offset += DECODER_PIECE_BYTES) {
        await writer.write(value.subarray(offset, offset + DECODER_PIECE_BYTES));
      }
    }
    await writer.close();
  } catch (error) {
    writer.abort(error).catch(() => undefined);
    try {
      while (!(await reader.read()).done);
    } catch {
      // Over the limit on the wire or cut short: that stage cancelled the body already.
    }
  }
}

/** Passes bytes through until more than `maxBytes` went by, then errors (cancelling upstream). */
function byteLimit(maxBytes: number, limit: { exceeded: boolean }): TransformStream<Bytes, Bytes> {
  let total = 0;
  return new TransformStream({
    transform(chunk, controller) {
      total += chunk.byteLength;
      if (total > maxBytes) {
        limit.exceeded = true;
        controller.error(tooLarge(maxBytes));
        return;
      }
      controller.enqueue(chunk);
    },
  });
}

async function readAll(stream: ReadableStream<Bytes>): Promise<Bytes> {
  const chunks: Bytes[] = [];
  let total = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.byteLength;
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
