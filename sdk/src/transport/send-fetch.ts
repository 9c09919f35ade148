import type { Reply } from '../core/types';

/**
 * POSTs a batch as text/plain (the default for a string body), a CORS simple request (no preflight), so the same request
 * works from fetch and sendBeacon. Rejects on network errors. Reading Retry-After from
 * another origin needs the edge to expose it (Access-Control-Expose-Headers).
 */
export const sendFetch = async (
  url: string,
  body: string,
  keepalive: boolean,
  timeout: number,
): Promise<Reply> => {
  const r = await fetch(url, {
    method: 'POST',
    body,
    keepalive,
    // Where AbortSignal.timeout is missing (Safari before 16) the request just has no limit.
    signal: AbortSignal.timeout?.(timeout),
    // A string body goes as text/plain;charset=UTF-8 by default, as sendBeacon sends it.
  });
  let parsed: unknown;
  try {
    parsed = await r.json();
  } catch {
    // Not JSON (a proxy page, an empty body): the status decides.
  }
  return { status: r.status, retryAfter: r.headers.get('Retry-After'), body: parsed };
};
