import { SIGNATURE_HEADER, signedBody, type Sink, type SinkBatch } from '@pulse/contract';

/** Options of {@link createHttpIngestSink}. */
export interface HttpIngestSinkOptions {
  /** Backend ingest endpoint, e.g. `https://ingest.internal/internal/ingest`. */
  url: string;
  /** Shared secret of the HMAC signature (contract `signedBody`). */
  secret: string;
  /** How a signed batch is sent. @default {@link fetchPost} (Workers; the Node edge uses undici) */
  post?: IngestPost;
  /** A write that takes longer fails, and the edge answers 503. @default 10_000 */
  timeoutMs?: number;
}

/** One POST of a signed batch to ingest. */
export interface IngestRequest {
  headers: Record<string, string>;
  body: Uint8Array<ArrayBuffer>;
  timeoutMs: number;
}

/**
 * Sends one signed batch and reads the whole answer; rejects with {@link IngestWriteError}
 * when ingest cannot be reached or does not answer in time. Never follows a redirect: a signed
 * batch goes to the configured ingest only, so a 3xx is an answer like any other not 200.
 */
export type IngestPost = (
  url: string,
  request: IngestRequest,
) => Promise<{ status: number; text: string }>;

/** Why a write to backend ingest failed; the edge turns it into a 503. */
export class IngestWriteError extends Error {
  override readonly name = 'IngestWriteError';
}

/** Why a POST did not get an answer, with the cause Node's fetch and undici keep apart. */
export function unreachable(url: string, error: unknown): IngestWriteError {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : null;
  const reason = error instanceof Error ? error.message : String(error);
  return new IngestWriteError(
    `ingest unreachable: POST ${url}: ${reason}${cause ? ` (${cause.message})` : ''}`,
  );
}

/** {@link IngestPost} over the runtime's `fetch`: the Workers edge's. */
export const fetchPost: IngestPost = async (url, { headers, body, timeoutMs }) => {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers,
      body,
      // A 3xx comes back as the answer (Workers refuse `redirect: 'error'`).
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw unreachable(url, error);
  }
  // Read the answer whole so the connection can be reused.
  return { status: response.status, text: await response.text().catch(() => '') };
};

/**
 * The sink of an edge without Kafka (the Workers edge, and the Node edge with INGEST_URL): POSTs
 * each batch as JSON, signed with the contract's HMAC signature, to backend ingest, which
 * answers 200 only after Kafka acknowledged every record. `write` resolves on that 200 alone:
 * any other status, a timeout or a network error rejects.
 */
export function createHttpIngestSink(options: HttpIngestSinkOptions): Sink {
  const { url, secret, post = fetchPost, timeoutMs = 10_000 } = options;
  return {
    async write(batch: SinkBatch) {
      // The batch is encoded to UTF-8 once, for the signature and the request alike.
      const { signature, bytes } = await signedBody(secret, JSON.stringify(batch));
      const headers = { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature };
      const answer = await post(url, { headers, body: bytes, timeoutMs });
      if (answer.status !== 200) {
        throw new IngestWriteError(
          `ingest answered ${answer.status}: POST ${url}: ${answer.text.slice(0, 200)}`,
        );
      }
    },
  };
}
