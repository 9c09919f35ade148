import { z } from 'zod';
import { ApiError } from '../../errors/api-error';
import type { SystemNumbers } from './parity-report';

/** Most rows a legacy answer may hold: 31 days × 24 hours × 5 event types, with room. */
const MAX_ROWS = 10_000;

/** How long and how large a legacy answer may be; the pipeline is outside Pulse. */
export interface LegacyAnswerLimits {
  /** Longest wait for the whole answer, body included. @default 10_000 */
  timeoutMs?: number;
  /** Most bytes read: 10,000 rows of ~80 bytes, with room. @default 2 MiB */
  maxBytes?: number;
}

/** The body as text, read no further than `maxBytes`: a larger answer is refused unread. */
async function boundedText(res: Response, maxBytes: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > maxBytes) {
      await reader.cancel();
      throw new Error(`answered more than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

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
  visitors: z
    .array(
      z.object({
        hour: z.iso.datetime({ offset: true }),
        unique_visitors: z.number().int().min(0),
      }),
    )
    .max(MAX_ROWS)
    .optional(),
});

/**
 * The legacy pipeline's counts of a customer's events per hour and type in [from, to):
 * `GET <url>?customer_id=…&from=…&to=…` answering `{ "counts": [{ hour, event_type, count }] }`,
 * and optionally the dashboard's unique visitors per hour, `"visitors": [{ hour,
 * unique_visitors }]`, compared too.
 * The legacy pipeline is outside Pulse: a failure or an answer of another shape is a 502
 * `legacy_unavailable` that says what was wrong, never a report built on guesses.
 */
export async function fetchLegacyCounts(
  fetchImpl: typeof fetch,
  url: string,
  query: { customer: string; from: string; to: string },
  limits: LegacyAnswerLimits = {},
): Promise<SystemNumbers> {
  const { timeoutMs = 10_000, maxBytes = 2 * 1024 * 1024 } = limits;
  const target = new URL(url);
  target.searchParams.set('customer_id', query.customer);
  target.searchParams.set('from', query.from);
  target.searchParams.set('to', query.to);
  let body: unknown;
  try {
    const res = await fetchImpl(target, {
      headers: { accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) throw new Error(`answered ${res.status}`);
    body = JSON.parse(await boundedText(res, maxBytes));
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
  return parsed.data;
}
