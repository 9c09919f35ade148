import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { PulseEvent } from '@pulse/contract';
import { loadVectors, parseVector, VectorFileError, type Vector } from './load';

const vectors = loadVectors();
const dir = fileURLToPath(new URL('.', import.meta.url));

function eventsOf(vector: Vector): PulseEvent[] {
  return vector.input.flatMap((item) => ('event' in item ? [item.event] : []));
}

function customersWithEvents(vector: Vector): Set<string> {
  return new Set(eventsOf(vector).map((event) => event.customer_id));
}

const sortedKeys = (record: object) => Object.keys(record).sort();
const minuteOf = (time: string) => Math.floor(Date.parse(time) / 60_000);
/** A resend may differ in its times (new sent_at, received_at, corrected timestamp), never more. */
const withoutTimes = ({
  timestamp: _t,
  original_timestamp: _o,
  sent_at: _s,
  received_at: _r,
  ...rest
}: PulseEvent) => rest;

describe('the vector files', () => {
  it('are at least 24 scenarios numbered 01, 02, … with the name in the file name', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(24);
    vectors.forEach((vector, index) => {
      const number = String(index + 1).padStart(2, '0');
      expect(vector.file).toBe(`${number}-${vector.name}.json`);
    });
    expect(new Set(vectors.map((v) => v.name)).size).toBe(vectors.length);
  });

  describe.each(vectors.map((vector) => [vector.file, vector] as const))('%s', (_file, vector) => {
    const raw = JSON.parse(readFileSync(join(dir, vector.file), 'utf8')) as {
      input: Array<Record<string, unknown>>;
    };
    const customers = sortedKeys(vector.segments);
    const active = customersWithEvents(vector);

    it('keeps every input item small and readable (3–15 items)', () => {
      expect(vector.input.length).toBeGreaterThanOrEqual(3);
      expect(vector.input.length).toBeLessThanOrEqual(15);
    });

    it('fills the README defaults in every event', () => {
      vector.input.forEach((item, index) => {
        const written = raw.input[index]!;
        if ('tick' in item) {
          expect(item).toEqual({ tick: written.tick });
          return;
        }
        const event = item.event;
        expect(event.user_id).toBe(written.user_id ?? null);
        expect(event.session_id).toBe(written.session_id ?? null);
        expect(event.previous_id).toBe(written.previous_id ?? null);
        expect(event.properties).toEqual(written.properties ?? {});
        expect(event.context).toEqual(written.context ?? {});
        expect(event.event_name).toBe(written.event_name ?? written.event_type);
        for (const key of ['original_timestamp', 'sent_at', 'received_at'] as const) {
          expect(event[key]).toBe(written[key] ?? written.timestamp);
        }
      });
    });

    it('defines each segment id once per customer', () => {
      for (const customer of customers) {
        const ids = vector.segments[customer]!.map((segment) => segment.id);
        expect(new Set(ids).size).toBe(ids.length);
      }
    });

    it('names every customer with segments or events in every expect map, and no other', () => {
      const named = [...new Set([...customers, ...active])].sort();
      expect(sortedKeys(vector.expect.identities)).toEqual(named);
      expect(sortedKeys(vector.expect.rollups)).toEqual(named);
      expect(sortedKeys(vector.expect.event_counts)).toEqual(named);
      expect(sortedKeys(vector.expect.memberships)).toEqual(customers);
    });

    it('lists every defined segment in memberships, with sorted, unique, canonical ids', () => {
      for (const customer of customers) {
        const memberships = vector.expect.memberships[customer]!;
        const defined = vector.segments[customer]!.map((segment) => segment.id).sort();
        expect(sortedKeys(memberships)).toEqual(defined);
        const linked = vector.expect.identities[customer] ?? {};
        for (const ids of Object.values(memberships)) {
          expect(ids).toEqual([...new Set(ids)].sort());
          for (const id of ids) expect(linked).not.toHaveProperty(id);
        }
      }
    });

    it('refers in every change to a segment of that customer', () => {
      for (const change of vector.expect.changes) {
        const defined = (vector.segments[change.customer_id] ?? []).map((segment) => segment.id);
        expect(defined, JSON.stringify(change)).toContain(change.segment_id);
      }
    });

    it('links every source straight to a user that is not linked itself', () => {
      for (const links of Object.values(vector.expect.identities)) {
        for (const [source, user] of Object.entries(links)) {
          expect(source).not.toBe(user);
          expect(links, `${source} -> ${user}`).not.toHaveProperty(user);
        }
      }
    });

    it('repeats an event_id only as the same event inside the same minute', () => {
      const first = new Map<string, PulseEvent>();
      for (const event of eventsOf(vector)) {
        const key = `${event.customer_id}/${event.event_id}`;
        const seen = first.get(key);
        if (!seen) {
          first.set(key, event);
          continue;
        }
        expect(withoutTimes(event)).toEqual(withoutTimes(seen));
        expect(minuteOf(event.timestamp)).toBe(minuteOf(seen.timestamp));
      }
    });

    it('counts distinct event_ids, each once in the rollups, page views once in pages', () => {
      for (const customer of active) {
        const distinct = new Set(
          eventsOf(vector)
            .filter((event) => event.customer_id == customer)
            .map((event) => event.event_id),
        );
        expect(vector.expect.event_counts[customer]).toBe(distinct.size);
        const minutes = vector.expect.rollups[customer]!;
        const starts = minutes.map((rollup) => Date.parse(rollup.minute));
        expect(starts).toEqual([...new Set(starts)].sort((a, b) => a - b));
        const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
        const events = minutes.flatMap((rollup) => Object.entries(rollup.events));
        expect(sum(events.map(([, n]) => n))).toBe(distinct.size);
        const pageViews = events.filter(([key]) => key.startsWith('page_view:'));
        const pages = minutes.flatMap((rollup) => Object.values(rollup.pages));
        expect(sum(pages)).toBe(sum(pageViews.map(([, n]) => n)));
        for (const rollup of minutes) {
          expect(rollup.visitors).toBeGreaterThan(0);
          expect(rollup.sessions).toBeLessThanOrEqual(sum(Object.values(rollup.events)));
        }
      }
      for (const customer of customers.filter((c) => !active.has(c))) {
        expect(vector.expect.event_counts[customer]).toBe(0);
        expect(vector.expect.rollups[customer]).toEqual([]);
      }
    });
  });
});

describe('loadVectors on a bad file', () => {
  const good = readFileSync(join(dir, vectors[0]!.file), 'utf8');
  const scratch = mkdtempSync(join(tmpdir(), 'pulse-vectors-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  function loadWith(file: string, text: string): () => Vector[] {
    const sub = mkdtempSync(join(scratch, 'case-'));
    writeFileSync(join(sub, '01-good.json'), good);
    writeFileSync(join(sub, file), text);
    return () => loadVectors(sub);
  }

  function edited(edit: (json: Record<string, unknown>) => void): string {
    const json = JSON.parse(good) as Record<string, unknown>;
    edit(json);
    return JSON.stringify(json);
  }

  const firstEvent = (json: Record<string, unknown>) =>
    (json.input as Array<Record<string, unknown>>)[0]!;
  const firstRule = (json: Record<string, unknown>) =>
    Object.values(json.segments as Record<string, Array<{ rule: Record<string, unknown> }>>)[0]![0]!
      .rule;

  it.each([
    ['is not JSON', '{ "name": ', /02-bad\.json: not JSON/],
    ['misses a field', edited((json) => delete json.expect), /expect/],
    [
      'misspells an event key',
      edited((json) => (firstEvent(json).recieved_at = '2025-01-21T10:30:00.000Z')),
      /recieved_at/,
    ],
    [
      'writes a time without milliseconds',
      edited((json) => (firstEvent(json).timestamp = '2025-01-21T10:30:00Z')),
      /input\[0\]\.timestamp/,
    ],
    [
      'has an unknown event type',
      edited((json) => (firstEvent(json).event_type = 'view')),
      /event_type/,
    ],
    ['has a window over 90 days', edited((json) => (firstRule(json).window = '91d')), /window/],
    ['has min_count 0', edited((json) => (firstRule(json).min_count = 0)), /min_count/],
    [
      'has an unknown operator',
      edited((json) => (firstRule(json).where = { 'properties.path': { like: '/p%' } })),
      /like/,
    ],
    ['has a bad tick', edited((json) => (json.input = [{ tick: 'tomorrow' }])), /tick/],
  ])('throws a VectorFileError naming the file when it %s', (_case, text, message) => {
    const load = loadWith('02-bad.json', text);
    expect(load).toThrow(VectorFileError);
    expect(load).toThrow(/^Bad vector file 02-bad\.json: /);
    expect(load).toThrow(message);
  });

  it('parses the untouched copy, so the cases above fail for their edit alone', () => {
    expect(parseVector('01-good.json', good).name).toBe(vectors[0]!.name);
  });
});
