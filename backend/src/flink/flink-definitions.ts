import { randomUUID } from 'node:crypto';
import type { DefinitionAck, DefinitionRecord, SegmentDefinition } from '@pulse/contract';
import {
  historyStart,
  matchingHistory,
  type BackfillResult,
} from '../api/segments/backfill-segment';
import { ApiError } from '../errors/api-error';
import type { Warehouse } from '../warehouse/warehouse';

/**
 * How long the segment API waits for the job to apply a step of a definition. The job
 * answers when a checkpoint commits its outputs (500 ms in development, 5 s by default).
 */
export const DEFINITION_TIMEOUT_MS = 60_000;

/**
 * Segments defined through the API with the Flink engine: the job keeps the definitions in its
 * own state, so the API hands it each change on `pulse.definitions` and waits on
 * `pulse.definitions.applied` (backend/flink/README.md, "Definitions from the API").
 */
export interface FlinkDefinitions {
  /** Defines or redefines a segment in the job, with its window's history; answers as the TS backfill. */
  define(customer: string, definition: SegmentDefinition): Promise<BackfillResult>;
  /** Deletes a segment from the job; resolves once its members and evidence are gone there. */
  remove(customer: string, segmentId: string): Promise<void>;
  /** An acknowledgement the loader read from `pulse.definitions.applied`. */
  applied(ack: DefinitionAck): void;
  /** Stops waiting: every step still waiting rejects (`unavailable`), as do later ones. */
  close(): void;
}

export interface FlinkDefinitionsOptions {
  /** Writes a record to `pulse.definitions` (key customer_id), acks=all. */
  send(record: DefinitionRecord): Promise<void>;
  /** Resolves once the loader holds every event written to Kafka before the call. */
  eventsLoaded(): Promise<void>;
  warehouse: Pick<Warehouse, 'eventsSince'>;
  now: () => number;
  /** @default DEFINITION_TIMEOUT_MS */
  timeoutMs?: number;
}

/**
 * The API's side of a definition's steps. A define goes: `define` → the job's `switched` (no
 * event from then on is met with the old rule alone) → the loader holds every event written
 * before (the job counted them with the old rule, or not at all) → their history, read from the
 * warehouse as the TS backfill reads it, as `replay` records → `end` → the job's `ended` with the
 * segment's members. A delete goes `delete` → `switched` → `end` → `ended`.
 */
export function createFlinkDefinitions(options: FlinkDefinitionsOptions): FlinkDefinitions {
  const timeoutMs = options.timeoutMs ?? DEFINITION_TIMEOUT_MS;
  const waiting = new Map<string, (outcome: DefinitionAck | ApiError) => void>();
  let closed = false;
  const keyOf = (customer: string, segment: string, version: string, phase: string) =>
    JSON.stringify([customer, segment, version, phase]);

  /** Sends `record` and waits for the job's `phase` of it. */
  const step = async (record: DefinitionRecord, phase: DefinitionAck['phase']) => {
    const key = keyOf(record.customer_id, record.segment_id, record.version, phase);
    if (closed) throw new ApiError('unavailable', 'the backend is stopping');
    let timer: NodeJS.Timeout | undefined;
    const acked = new Promise<DefinitionAck>((resolve, reject) => {
      timer = setTimeout(() => {
        waiting.delete(key);
        const message =
          `the Flink job did not apply ${record.kind} of segment ${record.segment_id} within ` +
          `${timeoutMs / 1000} s (is it running?); the backend finishes the write, history ` +
          'included, once the job answers';
        reject(new ApiError('unavailable', message));
      }, timeoutMs);
      waiting.set(key, (outcome) => {
        clearTimeout(timer);
        waiting.delete(key);
        if (outcome instanceof ApiError) reject(outcome);
        else resolve(outcome);
      });
    });
    // A timeout while the record is still being sent is reported by the await below.
    acked.catch(() => undefined);
    try {
      await options.send(record);
    } catch (error) {
      clearTimeout(timer);
      waiting.delete(key);
      throw error;
    }
    return acked;
  };

  return {
    async define(customer, definition) {
      const version = randomUUID();
      const ids = { customer_id: customer, segment_id: definition.id, version };
      const switched = await step({ kind: 'define', ...ids, definition }, 'switched');
      // Every event written so far was read by the job before the switch, or after it with the
      // new rule: once the loader holds them, the warehouse has the history the switch dropped.
      await options.eventsLoaded();
      // The job keeps evidence newer than its own clock minus the window.
      const clock = switched.clock === null ? null : Date.parse(switched.clock);
      const from = historyStart(definition.rule, clock, options.now());
      const counts = { scanned: 0, replayed: 0 };
      for await (const slice of matchingHistory(
        options.warehouse,
        customer,
        definition.rule,
        from,
        counts,
      )) {
        const events = slice.map((event) => ({
          event_id: event.event_id,
          source: event.user_id ?? event.visitor_id,
          at: event.timestamp,
        }));
        await options.send({ kind: 'replay', ...ids, events });
      }
      const ended = await step({ kind: 'end', ...ids }, 'ended');
      return {
        from: new Date(from).toISOString(),
        events_scanned: counts.scanned,
        events_replayed: counts.replayed,
        members: ended.members,
        exited: ended.exited,
      };
    },
    async remove(customer, segmentId) {
      const ids = { customer_id: customer, segment_id: segmentId, version: randomUUID() };
      await step({ kind: 'delete', ...ids }, 'switched');
      await step({ kind: 'end', ...ids }, 'ended');
    },
    applied(ack) {
      waiting.get(keyOf(ack.customer_id, ack.segment_id, ack.version, ack.phase))?.(ack);
    },
    close() {
      closed = true;
      const stopping = new ApiError('unavailable', 'the backend is stopping');
      for (const settle of [...waiting.values()]) settle(stopping);
    },
  };
}
