/**
 * Whether a failed batch may succeed if retried as it is (`transient`: a store, the warehouse
 * or the broker is unreachable or overloaded) or will fail the same way every time
 * (`deterministic`: something in the records themselves). Transient failures are retried
 * without end; deterministic ones lead to the poison record being isolated and quarantined
 * (docs/architecture.md, "Kafka": poison records never block a partition).
 *
 * The cause chain is searched, because the warehouse and the sinks wrap what they caught.
 * What is not known to be transient counts as deterministic: a wrong guess costs a quarantine
 * that `redrive` undoes, while the other guess would block a partition for good.
 */
export type FailureKind = 'transient' | 'deterministic';

/** Node and socket error codes of a peer that is down or slow. */
const TRANSIENT_SYSTEM_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'ENOSPC',
  'EMFILE',
]);

/**
 * ClickHouse error codes of an engine that is busy or short of resources, not of bad data:
 * TIMEOUT_EXCEEDED 159, TOO_MANY_SIMULTANEOUS_QUERIES 202, SOCKET_TIMEOUT 209,
 * NETWORK_ERROR 210, MEMORY_LIMIT_EXCEEDED 241, TOO_MANY_PARTS 252 only when it is the
 * merge backlog (the per-insert partition limit is prevented by the writer), ABORTED 236,
 * CANNOT_ALLOCATE_MEMORY 173, QUERY_WAS_CANCELLED 394, ALL_CONNECTION_TRIES_FAILED 279.
 */
const TRANSIENT_CLICKHOUSE_CODES = new Set([159, 173, 202, 209, 210, 236, 241, 279, 394]);

/** Redis replies that say "not now" rather than "never". */
const TRANSIENT_REDIS_REPLY =
  /^(LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|OOM|READONLY|MOVED|ASK)\b/;

/** Messages of clients (ioredis, kafkajs, chdb, ours) that mean the peer is unreachable. */
const TRANSIENT_MESSAGE =
  /connection is closed|connection closed|max retries per request|stream isn't writeable|socket hang up|timed? ?out|not connected|broker.*(not available|disconnected)|leader not available|not leader|is closed|fetch failed/i;

export function failureKind(error: unknown): FailureKind {
  for (let cause = error, depth = 0; cause && depth < 8; depth++) {
    if (isTransient(cause)) return 'transient';
    cause = (cause as { cause?: unknown }).cause;
  }
  return 'deterministic';
}

function isTransient(error: unknown): boolean {
  if (typeof error != 'object' || error === null) return false;
  const { code, clickhouseCode, name, message, retriable } = error as Record<string, unknown>;
  if (typeof code == 'string' && TRANSIENT_SYSTEM_CODES.has(code)) return true;
  const chCode = typeof clickhouseCode == 'number' ? clickhouseCode : Number(code);
  if (Number.isInteger(chCode) && TRANSIENT_CLICKHOUSE_CODES.has(chCode)) return true;
  // kafkajs marks the errors worth retrying.
  if (retriable === true) return true;
  if (name === 'MaxRetriesPerRequestError' || name === 'KafkaJSConnectionError') return true;
  if (typeof message != 'string') return false;
  if (name === 'ReplyError') return TRANSIENT_REDIS_REPLY.test(message);
  if (name === 'SinkUnavailableError' && /could not append/.test(message)) return true;
  return TRANSIENT_MESSAGE.test(message);
}
