/**
 * Imports history from a Segment-format export (newline-delimited JSON files of Segment
 * messages: track, page, screen, identify, alias, group) through the edge's `/v1/batch`,
 * as any Segment client would send it:
 *
 *   node --import tsx scripts/import-history.ts --edge https://edge.example.com --key pk_live_… export-*.ndjson
 *
 * Re-running an import counts nothing twice: a message keeps its `messageId`, and one without
 * gets an id the edge derives from its content (edge/src/segment/message-id.ts), the same on
 * every run. Batches stay inside the contract's limits (2,500 messages and 500 KB); a 429 or 503
 * is retried after its Retry-After, a 413 is split in two. Lines that are not JSON objects are
 * counted and skipped; messages the edge refuses are counted by code.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { LIMITS, type IngestResponse } from '@pulse/contract';

export interface ImportOptions {
  /** Base URL of the edge (`https://edge.example.com`). */
  edge: string;
  /** The customer's write key. */
  key: string;
  /** Most messages per request. @default the contract's Segment batch limit */
  batchMessages?: number;
  /** Most bytes per request body, below the contract's request limit. @default 90% of it */
  batchBytes?: number;
  /** Longest wait for one Retry-After (s). @default 60 */
  maxRetryAfterSeconds?: number;
  /** Retries of one batch before the import stops with an error. @default 20 */
  maxRetries?: number;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Progress lines. @default none */
  onProgress?: (report: ImportReport) => void;
}

export interface ImportReport {
  /** Non-empty lines read. */
  lines: number;
  /** Lines that are not a JSON object (skipped), with the first few line numbers. */
  malformed: { count: number; examples: string[] };
  requests: number;
  accepted: number;
  /** Messages the edge refused, by error code. */
  rejected: Record<string, number>;
  /** Requests sent again after a 429, 503 or a lost answer. */
  retries: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Imports every file, in order; resolves with what happened, or rejects when it cannot go on. */
export async function importHistory(
  files: string[],
  options: ImportOptions,
): Promise<ImportReport> {
  const maxMessages = options.batchMessages ?? LIMITS.maxSegmentBatchEvents;
  const maxBytes = options.batchBytes ?? Math.floor(LIMITS.maxRequestBytes * 0.9);
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const url = new URL('/v1/batch', options.edge);
  const auth = `Basic ${Buffer.from(`${options.key}:`).toString('base64')}`;
  const report: ImportReport = {
    lines: 0,
    malformed: { count: 0, examples: [] },
    requests: 0,
    accepted: 0,
    rejected: {},
    retries: 0,
  };

  /** Sends one batch (its messages as JSON texts) until the edge has answered it. */
  const send = async (messages: string[]): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      if (attempt > (options.maxRetries ?? 20)) {
        throw new Error(`a batch of ${messages.length} messages was refused ${attempt} times`);
      }
      if (attempt > 0) report.retries++;
      const body = `{"batch":[${messages.join(',')}]}`;
      let res: Response;
      try {
        report.requests++;
        res = await fetchImpl(url, {
          method: 'POST',
          headers: { authorization: auth, 'content-type': 'application/json' },
          body,
        });
      } catch {
        await sleep(Math.min(30_000, 500 * 2 ** attempt));
        continue;
      }
      if (res.status === 200) {
        const answer = (await res.json()) as IngestResponse;
        report.accepted += answer.accepted;
        for (const refused of answer.rejected) {
          report.rejected[refused.code] = (report.rejected[refused.code] ?? 0) + 1;
        }
        return;
      }
      if (res.status === 413 && messages.length > 1) {
        await res.body?.cancel();
        const half = Math.ceil(messages.length / 2);
        await send(messages.slice(0, half));
        await send(messages.slice(half));
        return;
      }
      if (res.status === 429 || res.status === 503) {
        const wait = Number(res.headers.get('retry-after') ?? '1');
        await res.body?.cancel();
        const seconds = Number.isFinite(wait) && wait > 0 ? wait : 1;
        await sleep(Math.min(seconds, options.maxRetryAfterSeconds ?? 60) * 1000);
        continue;
      }
      const text = await res.text();
      throw new Error(`the edge answered ${res.status}: ${text.slice(0, 500)}`);
    }
  };

  let batch: string[] = [];
  let bytes = 0;
  const flush = async () => {
    if (!batch.length) return;
    const messages = batch;
    batch = [];
    bytes = 0;
    await send(messages);
    options.onProgress?.(report);
  };

  for (const file of files) {
    const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
    let number = 0;
    for await (const line of lines) {
      number++;
      const text = line.trim();
      if (!text) continue;
      report.lines++;
      let message: unknown;
      try {
        message = JSON.parse(text);
      } catch {
        message = undefined;
      }
      if (typeof message !== 'object' || message === null || Array.isArray(message)) {
        report.malformed.count++;
        if (report.malformed.examples.length < 5)
          report.malformed.examples.push(`${file}:${number}`);
        continue;
      }
      // Re-serialized: one line of the file is one element of the batch, whatever its spacing.
      const json = JSON.stringify(message);
      const size = Buffer.byteLength(json) + 1;
      if (batch.length >= maxMessages || (batch.length > 0 && bytes + size > maxBytes))
        await flush();
      batch.push(json);
      bytes += size;
    }
  }
  await flush();
  return report;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    options: { edge: { type: 'string' }, key: { type: 'string' } },
    allowPositionals: true,
  });
  if (!values.edge || !values.key || positionals.length === 0) {
    console.error('usage: import-history.ts --edge <edge URL> --key <write key> <export.ndjson>…');
    process.exit(2);
  }
  const report = await importHistory(positionals, {
    edge: values.edge,
    key: values.key,
    onProgress: (r) => console.error(`… ${r.accepted} accepted in ${r.requests} requests`),
  });
  console.log(JSON.stringify(report, null, 2));
}
