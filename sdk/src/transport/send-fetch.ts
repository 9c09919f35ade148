import type { Reply } from '../core/types';

/**
 * POSTs a batch as text/plain (the default for a string body), a CORS simple request (no preflight), so the same request
 * works from fetch and sendBeacon. Rejects on network errors. Reading Retry-After from
 * another origin needs the edge to expose it (Access-Control-Expose-Headers).
 */
export const sendFetch = async (
  url: string,
  body: string | undefined,
  keepalive: boolean | undefined,
  timeout: number,
): Promise<Reply> => {
  const r = await fetch(url, {
    // Without a body it is a GET (decide).
    method: body && 'POST',
    body,
    keepalive,
    // Where AbortSignal.timeout is missing (Safari before 16) the request just has no limit.
    signal: AbortSignal.timeout?.(timeout),
    // A string body goes as text/plain;charset=UTF-8 by default, as sendBeacon sends it.
  });
  return {
    status: r.status,
    retryAfter: r.headers.get('Retry-After'),
    // Not JSON (a proxy page, an empty body): the status decides.
    body: await r.json().catch(() => {}),
  };
};
