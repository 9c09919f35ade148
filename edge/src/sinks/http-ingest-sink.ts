import { SIGNATURE_HEADER, signedBody, type Sink, type SinkBatch } from '@pulse/contract';

/** Options of {@link createHttpIngestSink}. */
export interface HttpIngestSinkOptions {
  /** Backend ingest endpoint, e.g. `https://ingest.internal/internal/ingest`. */
  url: string;
  /** Shared secret of the HMAC signature (contract `signedBody`). */
  secret: string;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** A write that takes longer fails, and the edge answers 503. @default 10_000 */
  timeoutMs?: number;
}

/**
 * A signed batch goes to the configured ingest only: a redirect is a failed write, never
 * followed. `error` where fetch has it (on Node it also spares fetch a copy of the body per
 * request); Workers refuse `error`, so there a redirect is answered as it is (`manual`) and
 * fails the status check.
 */
const REDIRECT: RequestInit['redirect'] =
  (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent ===
  'Cloudflare-Workers'
    ? 'manual'
    : 'error';

/** Why a write to backend ingest failed; the edge turns it into a 503. */
export class IngestWriteError extends Error {
  override readonly name = 'IngestWriteError';
}

/**
 * The Workers edge's sink: POSTs each batch as JSON, signed with the contract's HMAC
 * signature, to backend ingest, which answers 200 only after Kafka acknowledged every record.
 * `write` resolves on that 200 alone: any other status, a timeout or a network error rejects.
 */
export function createHttpIngestSink(options: HttpIngestSinkOptions): Sink {
  const { url, secret, fetch: fetchImpl = globalThis.fetch, timeoutMs = 10_000 } = options;
  return {
    async write(batch: SinkBatch) {
      // The batch is encoded to UTF-8 once, for the signature and the request alike.
      const { signature, bytes } = await signedBody(secret, JSON.stringify(batch));
      let response: Response;
      try {
        response = await fetchImpl(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature },
          body: bytes,
          redirect: REDIRECT,
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        // Node's fetch says only "fetch failed"; why (refused, a redirect) is its cause.
        const cause = error instanceof Error && error.cause instanceof Error ? error.cause : null;
        const reason = error instanceof Error ? error.message : String(error);
        throw new IngestWriteError(
          `ingest unreachable: POST ${url}: ${reason}${cause ? ` (${cause.message})` : ''}`,
        );
      }
      // Read the answer whole so the connection can be reused.
      const answer = await response.text().catch(() => '');
      if (response.status !== 200) {
        throw new IngestWriteError(
          `ingest answered ${response.status}: POST ${url}: ${answer.slice(0, 200)}`,
        );
      }
    },
  };
}
