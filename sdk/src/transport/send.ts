import { parseRetryAfter } from '../core/backoff';
import type { RejectedEvent } from '@pulse/contract';

/** What an answer of the edge means for a batch. Failures are values, never throws. */
export type Outcome =
  | { k: 'ok'; rejected: RejectedEvent[] }
  /** Network error, timeout, 5xx, 429: keep the events, retry later (after `after` ms if told). */
  | { k: 'retry'; after?: number; status?: number }
  /** 400 or 413 for the whole batch: send smaller batches to isolate the offending event. */
  | { k: 'split'; status: number }
  /** 401 or 403: the key or origin is refused; stop sending from this page, keep the queue. */
  | { k: 'stop'; status: number }
  /** Any other 4xx: the batch can never be accepted. */
  | { k: 'drop'; status: number };

/** Maps a response (or its absence) to an Outcome. */
export const outcomeOf = async (res: Response | undefined): Promise<Outcome> => {
  if (!res) return { k: 'retry' };
  const s = res.status;
  if (s === 200) {
    let rejected: RejectedEvent[] = [];
    try {
      rejected = ((await res.json()) as { rejected?: RejectedEvent[] }).rejected || [];
    } catch {
      // A 200 whose body we cannot read still acknowledges the batch.
    }
    return { k: 'ok', rejected };
  }
  if (s === 429 || s > 499)
    return { k: 'retry', after: parseRetryAfter(res.headers.get('retry-after')), status: s };
  if (s === 400 || s === 413) return { k: 'split', status: s };
  if (s === 401 || s === 403) return { k: 'stop', status: s };
  return s > 399 ? { k: 'drop', status: s } : { k: 'retry', status: s };
};

/**
 * POSTs a batch as `text/plain` (a CORS simple request: no preflight). With `keepalive` the
 * request outlives the page, within the browser's 64 KB budget.
 */
export const sendBatch = async (
  url: string,
  body: string,
  keepalive: boolean,
  timeoutMs: number,
): Promise<Outcome> => {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  try {
    return await outcomeOf(
      await fetch(url, {
        method: 'POST',
        body,
        keepalive,
        signal: ctl.signal,
        headers: { 'content-type': 'text/plain' },
      }),
    );
  } catch {
    return { k: 'retry' };
  } finally {
    clearTimeout(timer);
  }
};
