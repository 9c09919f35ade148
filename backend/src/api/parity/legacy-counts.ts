import { z } from 'zod';
import { ApiError } from '../../errors/api-error';
import type { HourlyCount } from './parity-report';

/** Longest wait for the legacy pipeline's counts. */
const LEGACY_TIMEOUT_MS = 10_000;
/** Most rows a legacy answer may hold: 31 days × 24 hours × 5 event types, with room. */
const MAX_ROWS = 10_000;

const legacyAnswerSchema = z.object({
  counts: z
    .array(
      z.object({
        hour: z.iso.datetime({ offset: true }),
        event_type: z.string().min(1).max(64),
        count: z.number().int().min(0),
      }),
    )
    .max(MAX_ROWS),
});

/**
 * The legacy pipeline's counts of a customer's events per hour and type in [from, to):
 * `GET <url>?customer_id=…&from=…&to=…` answering `{ "counts": [{ hour, event_type, count }] }`.
 * The legacy pipeline is outside Pulse: a failure or an answer of another shape is a 502
 * `legacy_unavailable` that says what was wrong, never a report built on guesses.
 */
export async function fetchLegacyCounts(
  fetchImpl: typeof fetch,
  url: string,
  query: { customer: string; from: string; to: string },
): Promise<HourlyCount[]> {
  const target = new URL(url);
  target.searchParams.set('customer_id', query.customer);
  target.searchParams.set('from', query.from);
  target.searchParams.set('to', query.to);
  let body: unknown;
  try {
    const res = await fetchImpl(target, {
      headers: { accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(LEGACY_TIMEOUT_MS),
    });
    if (!res.ok) throw new Error(`answered ${res.status}`);
    body = await res.json();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ApiError('legacy_unavailable', `legacy counts from ${target.origin}: ${reason}`, {
      cause: error,
    });
  }
  const parsed = legacyAnswerSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ApiError(
      'legacy_unavailable',
      `legacy counts from ${target.origin} are not { counts: [{ hour, event_type, count }] }: ${issue?.path.join('.')}: ${issue?.message}`,
    );
  }
  return parsed.data.counts;
}
