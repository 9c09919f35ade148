import type { Reply } from '../core/types';

/**
 * POSTs a batch as text/plain, a CORS simple request (no preflight), so the same request
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
    signal: AbortSignal.timeout(timeout),
    headers: { 'Content-Type': 'text/plain' },
  });
  let parsed: unknown;
  try {
    parsed = await r.json();
  } catch {
    // Not JSON (a proxy page, an empty body): the status decides.
  }
  return { status: r.status, retryAfter: r.headers.get('Retry-After'), body: parsed };
};
