import {
  backendDecidePath,
  SIGNATURE_HEADER,
  signBody,
  type DecideResponse,
} from '@pulse/contract';
import { EdgeError } from '../errors/edge-error';
import { jsonLog, type EdgeLog } from '../observe/edge-log';

/** The backend's decide, as the edge calls it for a customer resolved from a write key. */
export interface DecideBackend {
  /**
   * The segments and client actions of the visitor's anonymous profile, or of `provenUserId`
   * when the page proved who the user is; an `unavailable` EdgeError when it cannot tell.
   */
  decide(customerId: string, visitorId: string, provenUserId?: string): Promise<DecideResponse>;
  /**
   * Heard once a batch with events of these visitors is durable: what was known about them may
   * be out of date (a cache forgets them, see decide-cache.ts).
   */
  visitorsActed?(customerId: string, visitorIds: Iterable<string>): void;
}

/** Options of {@link createHttpDecideBackend}. */
export interface HttpDecideBackendOptions {
  /** Base URL of the backend API, e.g. `https://api.internal` (see {@link decideBaseUrl}). */
  baseUrl: string;
  /** The HMAC secret the edge signs ingest batches with; the backend checks decide with it. */
  secret: string;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** A call taking longer fails with 503: decide sits on a page's critical path. @default 3_000 */
  timeoutMs?: number;
  /** `Retry-After` seconds of the 503 when the backend cannot answer. @default 5 */
  retryAfterSeconds?: number;
  /** Where a refused signature (a secret out of step) is reported. @default `jsonLog()` */
  log?: EdgeLog;
}

/**
 * The backend's base URL when only the ingest URL is configured: the same server serves
 * `POST /internal/ingest` and `GET /v1/decide`.
 */
export function decideBaseUrl(ingestUrl: string): string {
  return new URL(ingestUrl).origin;
}

/**
 * Calls `GET {baseUrl}/v1/decide?customer_id=…&visitor_id=…`, signed with the contract's
 * `signBody` over `backendDecidePath(customer, visitor)`. Anything but a 200 with a
 * decide-shaped body (a network error, a timeout, a 5xx, a refused signature) becomes
 * `unavailable`, which the edge answers 503 + `Retry-After`.
 */
export function createHttpDecideBackend(options: HttpDecideBackendOptions): DecideBackend {
  const { baseUrl, secret, fetch: fetchImpl = globalThis.fetch, timeoutMs = 3_000 } = options;
  const retryAfter = options.retryAfterSeconds ?? 5;
  const log = options.log ?? jsonLog();
  const fail = (message: string) => new EdgeError('unavailable', message, retryAfter);
  return {
    async decide(customerId, visitorId, provenUserId) {
      const path = backendDecidePath(customerId, visitorId, provenUserId);
      const url = new URL(path, baseUrl).href;
      let response: Response;
      try {
        response = await fetchImpl(url, {
          headers: { [SIGNATURE_HEADER]: await signBody(secret, path), accept: 'application/json' },
          // The signed request goes to the backend only: a 3xx is an answer that is not 200.
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw fail(`decide backend unreachable: ${reason}`);
      }
      const text = await response.text().catch(() => '');
      if (response.status !== 200) {
        if (response.status === 401)
          log.error({ customer: customerId }, 'edge: backend refused the decide signature');
        throw fail(`decide backend answered ${response.status}`);
      }
      let answer: unknown;
      try {
        answer = JSON.parse(text);
      } catch {
        throw fail('decide backend answered something other than JSON');
      }
      if (!isDecideResponse(answer)) throw fail('decide backend answered an unexpected shape');
      return answer;
    },
  };
}

function isDecideResponse(value: unknown): value is DecideResponse {
  const v = value as Partial<DecideResponse> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.id === 'string' &&
    Array.isArray(v.segments) &&
    Array.isArray(v.actions)
  );
}
