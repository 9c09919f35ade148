import { pino, type Logger } from 'pino';

/**
 * The backend's structured log: one JSON object per line on stderr (stdout carries the process
 * protocol of main.ts), with `trace_id`s where a batch has them (contract/src/trace.ts).
 * `PULSE_LOG_LEVEL` (default `info`; `debug` adds a line per committed Kafka batch).
 */
export const log: Logger = pino(
  { name: 'pulse-backend', level: process.env.PULSE_LOG_LEVEL ?? 'info' },
  pino.destination({ fd: 2, sync: true }),
);

/** The default report of a failure no caller awaits: one `error` line with what failed and why. */
export function logError(what: string, error: unknown): void {
  log.error({ err: error }, what);
}
