import { z } from 'zod';

/**
 * Environment variables of Pulse's processes, declared once: each with its type, default and
 * meaning. A process reads its variables with `readEnv`, which refuses to start on any bad value
 * and names every one of them; docs/configuration.md is the table of all of them (a test keeps
 * it in step with the declarations here).
 */
export type EnvSpec = Record<string, z.ZodType>;

const TRUE_FALSE = z.enum(['0', '1']);
const port = z.coerce.number().int().min(0).max(65_535);
const wholeNumber = z.coerce.number().int().min(0);
const positive = z.coerce.number().int().min(1);
const list = z
  .string()
  .transform((text) => text.split(',').map((item) => item.trim()))
  .pipe(z.array(z.string().min(1, 'an empty item in a comma-separated list')));
/** JSON text holding what `schema` takes. */
const json = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);

/** `PULSE_OPS_PORT` and `PULSE_OPS_HOST`: every process's operations server (ops/ops-server.ts). */
const OPS = {
  PULSE_OPS_PORT: port
    .optional()
    .describe(
      'Port of the operations server (/healthz, /readyz, /metrics); 0 picks one. None when unset',
    ),
  PULSE_OPS_HOST: z
    .string()
    .min(1)
    .default('127.0.0.1')
    .describe('Address the operations server binds (0.0.0.0 in a container)'),
};

/** The JSON log of every Node process, on stderr. */
const PULSE_LOG_LEVEL = z
  .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  .default('info')
  .describe(
    'Level of the JSON log on stderr; on the backend `debug` adds a line per committed Kafka batch',
  );

/** Where a Node process exports its spans (backend/src/tracing/tracing.ts). */
const OTEL_EXPORTER_OTLP_ENDPOINT = z
  .url()
  .optional()
  .describe(
    'OTLP/HTTP collector (`http://collector:4318`) the spans of each request and batch go to',
  );

/** The backend process (backend/src/main.ts). */
export const BACKEND_ENV = {
  INGEST_SECRET: z.string().min(1).describe('HMAC secret shared with the edge (required)'),
  PORT: port.default(8788).describe('Port of ingest and the query APIs'),
  PULSE_DATA_DIR: z
    .string()
    .min(1)
    .default('.pulse')
    .describe('Directory of the embedded warehouse (chdb), state store (LMDB) and logs'),
  PULSE_ROLES: list
    .pipe(z.array(z.enum(['ingest', 'processor'])).min(1))
    .default(['ingest', 'processor'])
    .describe('What this process runs: `ingest`, `processor`, or both'),
  KAFKA_BROKERS: list
    .optional()
    .describe(
      '`host:port,…` (or `ssl://host:port,…` for TLS); embedded, without Kafka, when unset',
    ),
  REDIS_URL: z
    .url()
    .optional()
    .describe('Redis (6.2 or later) of the state store; embedded LMDB when unset'),
  REDIS_CLUSTER_NODES: list
    .optional()
    .describe('`host:port,…` of a Redis Cluster (MemoryDB, ElastiCache); wins over REDIS_URL'),
  CLICKHOUSE_URL: z
    .url()
    .optional()
    .describe(
      'ClickHouse server of the warehouse (`http://user:pass@host:8123/db`); chdb when unset',
    ),
  PULSE_API_KEYS: json(z.record(z.string(), z.string()))
    .default({})
    .describe('Secret keys of the query APIs, JSON `{"sk_…":"cust_…"}`'),
  PULSE_TICK_MS: wholeNumber
    .default(1000)
    .describe('How often the wall clock ticks the processor (ms); 0 turns it off'),
  PULSE_ENGINE: z
    .enum(['ts', 'flink'])
    .default('ts')
    .describe(
      'Processing engine: `ts` (the processor in this process) or `flink` (load the Flink job’s outputs; needs KAFKA_BROKERS)',
    ),
  PULSE_GROUP_ID: z.string().min(1).default('pulse-processor').describe('Kafka consumer group'),
  PULSE_SESSION_TIMEOUT_MS: positive
    .default(30_000)
    .describe('Kafka consumer session timeout (ms)'),
  PULSE_PROCESSOR_LEASE_MS: positive
    .default(10_000)
    .describe(
      'How long the TS processor’s lease in Redis lasts unrenewed (ms): a standby processor of the same group takes over after it',
    ),
  PULSE_KAFKA_REPLICATION: positive
    .optional()
    .describe(
      'Replication factor of the topics it creates (default 3; 1 on a single local broker)',
    ),
  PULSE_KAFKA_MIN_INSYNC: positive
    .optional()
    .describe('`min.insync.replicas` of the topics it creates (default: replication − 1)'),
  PULSE_KAFKA_PARTITIONS: positive
    .optional()
    .describe('Partitions of the topics it creates (default 12)'),
  PULSE_WAREHOUSE_TTL: TRUE_FALSE.default('1').describe(
    '`0` turns off the warehouse TTLs (tests replaying old timestamps)',
  ),
  PULSE_WEBHOOKS_ALLOW_PRIVATE: TRUE_FALSE.default('0').describe(
    '`1` lets trigger webhooks reach loopback and private addresses (development only)',
  ),
  PULSE_LOG_LEVEL,
  OTEL_EXPORTER_OTLP_ENDPOINT,
  PULSE_EXPORT_DIR: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Directory `POST /v1/exports` writes Parquet and NDJSON days under; no exports when unset',
    ),
  PULSE_EXPORT_URL: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe(
      'Bucket (`http(s)://host/bucket[/prefix]`, S3-compatible) `POST /v1/exports` writes to, instead of `PULSE_EXPORT_DIR`',
    ),
  PULSE_EXPORT_DESTINATIONS: z
    .string()
    .min(1)
    .optional()
    .describe(
      "JSON file of customers' own export destinations (bucket and keys, or directory; formats): each closed day is written there hourly",
    ),
  PULSE_ARCHIVE_DIR: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Directory of the cold tier (hourly Parquet of every event, read for ranges older than 6 days); `off` for none. Default `<data dir>/archive` with chdb and the TTL on',
    ),
  PULSE_ARCHIVE_URL: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe(
      'Bucket (`http(s)://host/bucket[/prefix]`, S3-compatible) of the cold tier, instead of `PULSE_ARCHIVE_DIR`; works with a ClickHouse server too',
    ),
  AWS_ACCESS_KEY_ID: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Access key of `PULSE_ARCHIVE_URL` and `PULSE_EXPORT_URL`; unsigned requests when unset',
    ),
  AWS_SECRET_ACCESS_KEY: z
    .string()
    .min(1)
    .optional()
    .describe('Secret key that goes with `AWS_ACCESS_KEY_ID`'),
  PULSE_ALERT_WEBHOOK: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe('URL a reconciliation alert (events missing and not healed) is POSTed to as JSON'),
  PULSE_LOG_BATCHES: TRUE_FALSE.default('0').describe(
    '`1` prints a `{"batch":…}` line on stdout per published batch (tests)',
  ),
  PULSE_TICKS_FROM_PARENT: TRUE_FALSE.default('0').describe(
    '`1` takes `{"tick": ms}` messages on the IPC channel of its parent as clock ticks (tests)',
  ),
  ...OPS,
} satisfies EnvSpec;

/** The edge on Node (edge/src/adapters/node/main.ts). */
export const NODE_EDGE_ENV = {
  PULSE_LOG_LEVEL,
  OTEL_EXPORTER_OTLP_ENDPOINT,
  PULSE_KEYS_FILE: z
    .string()
    .min(1)
    .optional()
    .describe('JSON file of write key → KeyConfig, re-read every 10 s (or PULSE_KEYS)'),
  PULSE_KEYS: json(z.record(z.string(), z.unknown()))
    .optional()
    .describe('The same key config inline, when there is no PULSE_KEYS_FILE'),
  INGEST_URL: z
    .url()
    .optional()
    .describe('Backend ingest (`http://…/internal/ingest`); required unless KAFKA_BROKERS'),
  INGEST_SECRET: z.string().min(1).optional().describe('HMAC secret shared with backend ingest'),
  IP_SALT_SECRET: z
    .string()
    .min(1)
    .describe('Secret the daily IP-hash salts derive from (required)'),
  KAFKA_BROKERS: list
    .optional()
    .describe('Produce to Kafka directly (backend’s Kafka sink) instead of ingest'),
  DECIDE_URL: z
    .url()
    .optional()
    .describe('Base URL of the backend’s decide; default: INGEST_URL’s origin'),
  DECIDE_CACHE_MS: wholeNumber
    .default(0)
    .describe(
      'Serve decide from the edge’s memory for answers younger than this (the staleness bound); a visitor’s own events reset it. `0`: ask the backend every time',
    ),
  PORT: port.default(8787).describe('Port of the edge'),
  HOST: z.string().min(1).default('127.0.0.1').describe('Address the edge binds'),
  TRUST_PROXY: TRUE_FALSE.default('0').describe(
    '`1` takes the client IP from X-Forwarded-For (behind a load balancer)',
  ),
  ...OPS,
} satisfies EnvSpec;

export type EnvOf<S extends EnvSpec> = { [K in keyof S]: z.output<S[K]> };

/** Thrown by `readEnv`: every bad variable, one per line, by name. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Reads and checks `spec`'s variables from `env` (an empty string counts as unset). Throws a
 * ConfigError naming every bad variable and why, so a process refuses to start on any of them.
 */
export function readEnv<S extends EnvSpec>(
  spec: S,
  env: Record<string, string | undefined>,
): EnvOf<S> {
  const input = Object.fromEntries(
    Object.keys(spec).flatMap((name) => (env[name] ? [[name, env[name]]] : [])),
  );
  const parsed = z.object(spec).safeParse(input);
  if (parsed.success) return parsed.data as EnvOf<S>;
  const lines = parsed.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '');
    const given = input[name];
    return `  ${name}: ${issue.message}${given === undefined ? ' (not set)' : ` (got ${JSON.stringify(given)})`}`;
  });
  throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
}

/** The markdown table of `spec`: variable, default, meaning (docs/configuration.md). */
export function envTable(spec: EnvSpec): string {
  const rows = Object.entries(spec).map(([name, schema]) => {
    const parsed = z.object({ value: schema }).safeParse({});
    const value: unknown = parsed.success ? parsed.data.value : undefined;
    const fallback =
      value === undefined
        ? ''
        : Array.isArray(value)
          ? value.join(',')
          : typeof value === 'object'
            ? JSON.stringify(value)
            : String(value);
    return `| \`${name}\` | ${fallback ? `\`${fallback}\`` : ''} | ${schema.description ?? ''} |`;
  });
  return ['| variable | default | what it sets |', '| --- | --- | --- |', ...rows].join('\n');
}
