import type { Context } from 'hono';
import type { IngestResponse } from '@pulse/contract';
import type { EdgeDeps, EdgeEnv } from '../deps';
import { EdgeError } from '../errors/edge-error';
import { createIpHasher } from '../enrich/ip-hash';
import { clientIpFromHeaders, readRequestFacts, type RequestFacts } from '../enrich/request-facts';
import { collect, type CollectOptions } from './collect';

/** The part of the edge every endpoint shares: facts of a request, then validate → enrich → sink. */
export interface IngestPipeline {
  facts(c: Context<EdgeEnv>): Promise<RequestFacts>;
  /**
   * Collects the items and writes accepted events and dead letters to the sink in one write.
   * Answers 200 `{accepted, rejected}` only once that write resolved; a failed write is a 503
   * with `Retry-After`, so the client keeps every event of the request.
   */
  ingest(
    c: Context<EdgeEnv>,
    facts: RequestFacts,
    items: readonly unknown[],
    options: CollectOptions,
  ): Promise<Response>;
}

/** Builds the pipeline once per app from its deps. */
export function createIngestPipeline(deps: EdgeDeps): IngestPipeline {
  const hashIp = createIpHasher(deps.ipSalt);
  const clientIp = deps.clientIp ?? clientIpFromHeaders;
  const now = deps.now ?? Date.now;
  const retryAfterSeconds = deps.unavailableRetryAfterSeconds ?? 5;

  return {
    facts(c) {
      return readRequestFacts(c, c.get('keyConfig').customer_id, now(), clientIp(c), hashIp);
    },

    async ingest(c, facts, items, options) {
      const { events, deadLetters, rejected } = await collect(items, facts, options);
      try {
        await deps.sink.write({
          customer_id: facts.customerId,
          events,
          dead_letters: deadLetters,
          ...(options.clientDropped ? { client_dropped: options.clientDropped } : {}),
          traceparent: c.get('traceparent'),
        });
      } catch (error) {
        c.get('log').error(
          { customer: facts.customerId, err: error },
          'edge: durable write failed',
        );
        throw new EdgeError(
          'unavailable',
          'events could not be made durable; retry later',
          retryAfterSeconds,
        );
      }
      if (deps.decide?.visitorsActed && events.length) {
        deps.decide.visitorsActed(facts.customerId, new Set(events.map((e) => e.visitor_id)));
      }
      if (options.unload && deps.receipts) {
        // After the durable write: a receipt must never name an event that is not durable.
        const ids = [
          ...events.map((e) => e.event_id),
          ...rejected.flatMap((r) => (r.event_id ? [r.event_id] : [])),
        ];
        await deps.receipts.remember(facts.customerId, ids).catch((error: unknown) => {
          const fields = { customer: facts.customerId, err: error };
          c.get('log').error(fields, 'edge: could not keep receipts');
        });
      }
      if (deps.observer) {
        const byCode: Record<string, number> = {};
        for (const refused of rejected) byCode[refused.code] = (byCode[refused.code] ?? 0) + 1;
        deps.observer.ingested({
          customer: facts.customerId,
          accepted: events.length,
          rejected: byCode,
          clientDropped: options.clientDropped ?? 0,
        });
      }
      const body: IngestResponse = { accepted: events.length, rejected };
      return c.json(body, 200);
    },
  };
}
