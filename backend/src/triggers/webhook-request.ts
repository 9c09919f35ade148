import { SIGNATURE_HEADER, signBody, type SegmentChange } from '@pulse/contract';
import { WEBHOOK_RETRY } from './retry-policy';

/** Header carrying the delivery's idempotency key (the change key): receivers dedupe on it. */
export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** Header naming the trigger that made the call. */
export const TRIGGER_HEADER = 'x-pulse-trigger';

/** The JSON body of a webhook call: the same on every attempt of a delivery. */
export interface WebhookBody {
  /** The idempotency key, also in the `Idempotency-Key` header. */
  id: string;
  type: 'segment.enter' | 'segment.exit';
  trigger_id: string;
  customer_id: string;
  segment_id: string;
  /** The canonical id of the profile (user_id once known, else visitor_id). */
  profile_id: string;
  /** Event time of the change. */
  at: string;
  reason: SegmentChange['reason'];
}

export function webhookBody(key: string, triggerId: string, change: SegmentChange): WebhookBody {
  return {
    id: key,
    type: `segment.${change.change}`,
    trigger_id: triggerId,
    customer_id: change.customer_id,
    segment_id: change.segment_id,
    profile_id: change.id,
    at: change.at,
    reason: change.reason,
  };
}

/** What one POST gave: delivered on a 2xx; otherwise the status (or null) and why. */
export interface WebhookAnswer {
  ok: boolean;
  status: number | null;
  error?: string;
  retryAfter: string | null;
}

/**
 * POSTs a webhook once, signed like the edge signs ingest batches (contract `signBody`,
 * `X-Pulse-Signature: t=…,v1=…` over `<t>.<body>`, with the trigger's secret). Each attempt
 * is signed afresh, so a retry hours later is not refused as stale. Redirects are not followed.
 */
export async function postWebhook(
  fetchImpl: typeof fetch,
  target: { url: string; secret: string },
  body: WebhookBody,
): Promise<WebhookAnswer> {
  const text = JSON.stringify(body);
  try {
    const response = await fetchImpl(target.url, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'pulse-webhooks/1',
        [SIGNATURE_HEADER]: await signBody(target.secret, text),
        [IDEMPOTENCY_HEADER]: body.id,
        [TRIGGER_HEADER]: body.trigger_id,
      },
      body: text,
      signal: AbortSignal.timeout(WEBHOOK_RETRY.timeoutMs),
    });
    // Only the status matters, so the answer's body is never read: a receiver's 4 MB gzip of
    // zeros would inflate to gigabytes, and an endless one would hold the delivery open.
    await response.body?.cancel().catch(() => undefined);
    const ok = response.status >= 200 && response.status < 300;
    return {
      ok,
      status: response.status,
      error: ok ? undefined : `receiver answered ${response.status}`,
      retryAfter: response.headers.get('retry-after'),
    };
  } catch (error) {
    // fetch fails with a bare "fetch failed"; the cause says why (refused, timed out, DNS).
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : null;
    const reason = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      status: null,
      error: `POST ${target.url} failed: ${reason}${cause ? ` (${cause.message})` : ''}`,
      retryAfter: null,
    };
  }
}
