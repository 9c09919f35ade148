import { randomUUID } from 'node:crypto';
import { ApiError } from '../errors/api-error';
import { log } from '../log';
import { connectRedis, type RedisTarget } from '../state/redis-store';
import type { UnfinishedWrite } from './segments/segment-writes';

/**
 * How long an API call waits for the process that processes to do its part before it answers
 * 503 (a segment write stays recorded as unfinished: that process finishes it later, history
 * included).
 */
export const HANDOFF_TIMEOUT_MS = 60_000;

/** How long an answer waits in Redis for the API that asked. */
const ANSWER_TTL_MS = 300_000;

/** How often the API looks for the answer (ms). */
const ANSWER_POLL_MS = 25;

/** How long a serving process blocks on the queue before it looks at its lease again (s). */
const QUEUE_WAIT_S = 1;

/** What the API asks of the process that processes. */
export type HandoffRequest =
  /** Finish the unfinished write of segment `id`, recorded before (segment-writes.ts). */
  | { kind: 'segment-write'; customer: string; id: string; only?: UnfinishedWrite['kind'] }
  /** Delete the profile that `id` names (profiles/delete-profile.ts). */
  | { kind: 'profile-delete'; customer: string; id: string };

/**
 * API calls that change the engine's state run where the processing runs: in the TS processor
 * that holds the lease, or a Flink loader. A segment write replays history through the
 * processor, a redefinition clears the old rule's state, a deletion drops a segment's or a
 * person's state; beside the leader's batches, any of them from another process would race it
 * on the same profiles (the lease fences only the leader). So a process that does not process
 * (an ingest task, a standby processor) hands the call over through a queue in Redis; the
 * processing process runs it beside its batches and leaves the answer in Redis for the API.
 */
export interface ProcessingHandoff {
  /** Whether this process processes now: its API does the work itself. */
  here(): boolean;
  /**
   * Hands `request` to the processing process and resolves with its answer; rejects with 503
   * `unavailable` when no process answers within the timeout, or when the one that tried failed.
   * Those errors name the work (`what`) and say what happens to it next (`then`).
   */
  ask(request: HandoffRequest, words: { what: string; then: string }): Promise<unknown>;
  /**
   * Serves the queue while `here()` holds: `handle` runs each request; its result is the answer.
   * `fromHere` says this process's own API asked (before it led): that call holds its
   * customer's queue of segment writes already, so the work must not wait in it again.
   */
  serve(handle: (request: HandoffRequest, fromHere: boolean) => Promise<unknown>): void;
  close(): Promise<void>;
}

export interface ProcessingHandoffOptions {
  redis: RedisTarget;
  /** The consumer group of the engine (TS processor or Flink loader) whose processes serve. */
  groupId: string;
  /** Whether this process processes now (the TS processor's lease, or a Flink loader). */
  here: () => boolean;
  /** @default HANDOFF_TIMEOUT_MS */
  timeoutMs?: number;
  onError?: (message: string, error: unknown) => void;
}

interface Envelope {
  /** Where the answer goes. */
  answer: string;
  /** The asking handoff's token. */
  from: string;
  request: HandoffRequest;
}

type Answer = { result: unknown } | { error: string };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createProcessingHandoff(options: ProcessingHandoffOptions): ProcessingHandoff {
  const timeoutMs = options.timeoutMs ?? HANDOFF_TIMEOUT_MS;
  const queueKey = `pulse:handoff:${options.groupId}`;
  const onError = options.onError ?? ((message, error) => log.error({ err: error }, message));
  const token = randomUUID();
  const redis = connectRedis(options.redis);
  redis.on('error', () => undefined);
  /** The serving loop's own connection: BRPOP blocks it. */
  let blocking: ReturnType<typeof connectRedis> | undefined;
  let serving: Promise<void> | undefined;
  let closed = false;

  return {
    here: options.here,
    async ask(request, { what, then }) {
      const envelope: Envelope = {
        answer: `pulse:handoff-answer:${randomUUID()}`,
        from: token,
        request,
      };
      await redis.lpush(queueKey, JSON.stringify(envelope));
      const deadline = Date.now() + timeoutMs;
      while (!closed && Date.now() < deadline) {
        const raw = await redis.get(envelope.answer);
        if (raw !== null) {
          await redis.del(envelope.answer);
          const answer = JSON.parse(raw) as Answer;
          if ('error' in answer) {
            throw new ApiError('unavailable', `${what} failed (${answer.error}); ${then}`);
          }
          return answer.result;
        }
        await sleep(ANSWER_POLL_MS);
      }
      const message = `no processor took ${what} within ${timeoutMs / 1000} s (is one running?); ${then}`;
      throw new ApiError('unavailable', message);
    },
    serve(handle) {
      if (serving) throw new Error('the processing handoff is served already');
      const conn = (blocking = connectRedis(options.redis));
      conn.on('error', () => undefined);
      const serveOne = async (raw: string) => {
        const { answer: answerKey, from, request } = JSON.parse(raw) as Envelope;
        let answer: Answer;
        try {
          answer = { result: (await handle(request, from === token)) ?? null };
        } catch (error) {
          onError(`handed-over ${request.kind} of ${request.customer}/${request.id} failed`, error);
          answer = { error: error instanceof Error ? error.message : String(error) };
        }
        await redis.set(answerKey, JSON.stringify(answer), 'PX', ANSWER_TTL_MS);
      };
      serving = (async () => {
        while (!closed) {
          try {
            if (!options.here()) {
              await sleep(QUEUE_WAIT_S * 500);
              continue;
            }
            const popped = await conn.brpop(queueKey, QUEUE_WAIT_S);
            if (!popped) continue;
            // Taken just as this process stopped processing: back to the end it is taken from.
            if (!options.here() || closed) await redis.rpush(queueKey, popped[1]);
            else await serveOne(popped[1]);
          } catch (error) {
            if (closed) break;
            onError('processing handoff: the queue is out of reach, trying again', error);
            await sleep(1_000);
          }
        }
      })();
    },
    async close() {
      closed = true;
      // A blocked BRPOP ends with its connection.
      blocking?.disconnect();
      await serving;
      redis.disconnect();
    },
  };
}
