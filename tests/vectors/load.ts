import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { MinuteRollup, PulseEvent, SegmentChange, SegmentDefinition } from '@pulse/contract';
import { vectorFileSchema, type VectorFile } from './vector-schema';

/** One processing step: an event, or the wall clock moving on to `tick`. */
export type VectorInput = { event: PulseEvent } | { tick: string };

/** The state every engine must reach after the whole input (README "File format"). */
export interface VectorExpect {
  /** customer_id -> linked source -> its user. */
  identities: Record<string, Record<string, string>>;
  /** customer_id -> segment_id -> canonical ids that are members at the end, sorted. */
  memberships: Record<string, Record<string, string[]>>;
  /** Every change, in the order it is emitted. */
  changes: SegmentChange[];
  /** customer_id -> every minute with events, oldest first. */
  rollups: Record<string, MinuteRollup[]>;
  /** customer_id -> distinct event_ids. */
  event_counts: Record<string, number>;
}

/** A scenario of tests/vectors/*.json with the README's defaults filled in. */
export interface Vector {
  /** The file it came from, e.g. `01-login-after-anonymous-browsing.json`. */
  file: string;
  name: string;
  description: string;
  /** customer_id -> that customer's segment definitions. */
  segments: Record<string, SegmentDefinition[]>;
  input: VectorInput[];
  expect: VectorExpect;
}

/** A vector file that is not valid JSON or not of the README's shape. */
export class VectorFileError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`Bad vector file ${file}: ${reason}`);
    this.name = 'VectorFileError';
  }
}

const VECTORS_DIR = fileURLToPath(new URL('.', import.meta.url));

/**
 * Every `*.json` in `dir` (default: tests/vectors), sorted by file name, validated and with
 * defaults filled. Throws a {@link VectorFileError} naming the first bad file.
 */
export function loadVectors(dir: string = VECTORS_DIR): Vector[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => parseVector(file, readFileSync(join(dir, file), 'utf8')));
}

/** One vector from the text of its file; `file` only names it in errors. */
export function parseVector(file: string, text: string): Vector {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new VectorFileError(file, `not JSON (${(error as Error).message})`);
  }
  const result = vectorFileSchema.safeParse(json);
  if (!result.success) throw new VectorFileError(file, `\n${z.prettifyError(result.error)}`);
  const { name, description, segments, input, expect } = result.data;
  return { file, name, description, segments, input: input.map(withDefaults), expect };
}

/** README: user_id, session_id, previous_id null; properties, context {}; names and times. */
function withDefaults(item: VectorFile['input'][number]): VectorInput {
  if ('tick' in item) return { tick: item.tick };
  const event: PulseEvent = {
    event_id: item.event_id,
    customer_id: item.customer_id,
    visitor_id: item.visitor_id,
    user_id: item.user_id ?? null,
    session_id: item.session_id ?? null,
    event_type: item.event_type,
    event_name: item.event_name ?? item.event_type,
    properties: item.properties ?? {},
    previous_id: item.previous_id ?? null,
    context: item.context ?? {},
    timestamp: item.timestamp,
    original_timestamp: item.original_timestamp ?? item.timestamp,
    sent_at: item.sent_at ?? item.timestamp,
    received_at: item.received_at ?? item.timestamp,
  };
  return { event };
}
