/** A request for the legacy pipeline: the original body and the headers that matter to it. */
export interface LegacyRequest {
  /** The customer's `legacy_url`. */
  baseUrl: string;
  /** Path and query of the original request (`/v1/events?key=…`), appended to `baseUrl`. */
  pathAndQuery: string;
  body: string;
  headers: Record<string, string>;
}

/** What the legacy pipeline answered, or why it could not be reached. */
export type LegacyAnswer =
  | { ok: true; status: number; body: string; contentType: string | null }
  | { ok: false; message: string };

/** Forwards a request to a customer's legacy pipeline (routing `shadow` and `legacy`). */
export interface LegacyForwarder {
  forward(request: LegacyRequest): Promise<LegacyAnswer>;
}

/** Options of {@link createHttpLegacyForwarder}. */
export interface HttpLegacyForwarderOptions {
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Give up on the legacy pipeline after this long. @default 10_000 */
  timeoutMs?: number;
}

/**
 * Forwards over HTTP. Failures are values (`ok: false`): a timeout, a refused connection or an
 * unreadable answer never throw into the app.
 */
export function createHttpLegacyForwarder(
  options: HttpLegacyForwarderOptions = {},
): LegacyForwarder {
  const { fetch: fetchImpl = globalThis.fetch, timeoutMs = 10_000 } = options;
  return {
    async forward(request) {
      const url = request.baseUrl.replace(/\/+$/, '') + request.pathAndQuery;
      try {
        const response = await fetchImpl(url, {
          method: 'POST',
          headers: request.headers,
          body: request.body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        return {
          ok: true,
          status: response.status,
          body: await response.text(),
          contentType: response.headers.get('content-type'),
        };
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        return { ok: false, message: `legacy pipeline unreachable: ${reason}` };
      }
    },
  };
}
