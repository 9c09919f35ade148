import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES, LIMITS, type PulseEvent } from '@pulse/contract';
import { missingService } from '../services/free-port';
import { runFlinkMain } from '../services/flink-job';
import { kafkaToolsAvailable } from '../services/kafka/broker';
import { buildFlinkJar } from '../../backend/src/flink/flink-job';
import { EVENT_RECORD, readRecord } from '../../backend/src/processor/quarantine';
import { makeEvent } from '../../backend/test/warehouse-fixtures';

const why = await kafkaToolsAvailable();
const skip = why ? missingService('Java and Maven (the Flink job)', why) === 'skip' : false;

const CHECK = fileURLToPath(new URL('./EventContractCheck.java', import.meta.url));

/** A page view as ingest writes it: every field of the contract, null ids, empty context. */
const BASE: PulseEvent = makeEvent({
  event_id: 'e1',
  event_name: '/pricing',
  properties: { path: '/pricing' },
  timestamp: '2025-01-21T10:30:00.000Z',
});

/** An object `levels` deep: `nested(1)` is `{ a: 1 }`. */
const nested = (levels: number): unknown => (levels === 0 ? 1 : { a: nested(levels - 1) });
/** An object with `count` keys over two levels (every nested object's keys count). */
const withKeys = (count: number) => ({
  inner: Object.fromEntries(Array.from({ length: count - 1 }, (_, i) => [`k${i}`, i])),
});
const times = (ms: number) => new Date(ms).toISOString();

/** One record of the corpus: its text, and whether the contract takes it as an event. */
interface Case {
  name: string;
  text: string;
  ok: boolean;
}

/** The event with `fields` changed; a field set to `undefined` is left out. */
const variant = (name: string, ok: boolean, fields: Record<string, unknown>): Case => {
  const event: Record<string, unknown> = { ...BASE, ...fields };
  for (const [field, value] of Object.entries(fields)) if (value === undefined) delete event[field];
  return { name, ok, text: JSON.stringify(event) };
};

/**
 * Records at and past every bound of the contract's event, each with the answer the contract
 * gives it: ids (lengths, control characters, lone surrogates, a customer id outside its
 * charset), names, the four times (forms, calendar, the 1970–2100 range), the nesting, keys and
 * array lengths of properties and context, missing and mistyped fields.
 */
function corpus(): Case[] {
  const cases: Case[] = [variant('the base event', true, {})];
  for (const [field, max] of [
    ['event_id', LIMITS.maxEventIdLength],
    ['visitor_id', LIMITS.maxIdLength],
    ['user_id', LIMITS.maxIdLength],
    ['session_id', LIMITS.maxIdLength],
    ['previous_id', LIMITS.maxIdLength],
  ] as const) {
    cases.push(
      variant(`${field} of ${max} characters`, true, { [field]: 'x'.repeat(max) }),
      variant(`${field} of ${max + 1} characters`, false, { [field]: 'x'.repeat(max + 1) }),
      variant(`${field} empty`, false, { [field]: '' }),
      variant(`${field} with NUL`, false, { [field]: 'a\u0000b' }),
      variant(`${field} with DEL`, false, { [field]: 'a\u007fb' }),
      variant(`${field} with a C1 control`, false, { [field]: 'a\u0085b' }),
      variant(`${field} with a lone surrogate`, false, { [field]: 'a\ud800b' }),
      variant(`${field} with a lone low surrogate`, false, { [field]: 'a\udc00' }),
      variant(`${field} with an emoji`, true, { [field]: 'a😀b' }),
      variant(`${field} shaped like a key`, true, { [field]: 'cust_b:v2:*{x}[y]' }),
      variant(`${field} a number`, false, { [field]: 7 }),
    );
  }
  for (const field of ['event_id', 'visitor_id', 'user_id', 'session_id', 'previous_id']) {
    cases.push(variant(`${field} missing`, false, { [field]: undefined }));
  }
  for (const field of ['user_id', 'session_id', 'previous_id']) {
    cases.push(variant(`${field} set`, true, { [field]: 'u1' }));
  }
  cases.push(
    variant('customer_id of 64 characters', true, { customer_id: 'c'.repeat(64) }),
    variant('customer_id of 65 characters', false, { customer_id: 'c'.repeat(65) }),
    variant('customer_id with a colon', false, { customer_id: 'cust:a' }),
    variant('customer_id starting with a dash', false, { customer_id: '-cust' }),
    variant('customer_id with a star', false, { customer_id: 'cust*' }),
    variant('customer_id missing', false, { customer_id: undefined }),
    ...EVENT_TYPES.map((type) => variant(`event_type ${type}`, true, { event_type: type })),
    variant('event_type unknown', false, { event_type: 'pageview' }),
    variant('event_type missing', false, { event_type: undefined }),
    variant('event_name empty', true, { event_name: '' }),
    variant(`event_name of ${LIMITS.maxEventNameLength}`, true, {
      event_name: 'n'.repeat(LIMITS.maxEventNameLength),
    }),
    variant(`event_name of ${LIMITS.maxEventNameLength + 1}`, false, {
      event_name: 'n'.repeat(LIMITS.maxEventNameLength + 1),
    }),
    variant('event_name with a control character', true, { event_name: 'a\u0001b' }),
    variant('event_name with a lone surrogate', false, { event_name: 'a\ud800' }),
    variant('event_name missing', false, { event_name: undefined }),
    variant('event_name a number', false, { event_name: 3 }),
    variant('an unknown field', true, { extra: { any: 'thing' } }),
  );
  const forms: Array<[string, boolean]> = [
    ['2025-01-21T10:30Z', true],
    ['2025-01-21T10:30:00Z', true],
    ['2025-01-21T10:30:00.1Z', true],
    ['2025-01-21T10:30:00.1239999999Z', true],
    ['2025-01-21T11:30:00.000+01:00', true],
    ['2025-01-21T10:30:00-00:00', true],
    ['2025-01-22T10:29:00+23:59', true],
    ['2025-01-21T10:30:00+24:00', false],
    ['2025-01-21T10:30:00+01:60', false],
    ['2025-01-21T10:30:00+0100', false],
    ['2025-01-21T10:30:00.000z', false],
    ['2025-01-21t10:30:00.000Z', false],
    ['2025-01-21 10:30:00.000Z', false],
    ['2025-01-21T10:30:00.000', false],
    ['2025-01-21T10:30:00.Z', false],
    ['+002025-01-21T10:30:00.000Z', false],
    ['２０２５-01-21T10:30:00.000Z', false],
    ['2024-02-29T10:00:00.000Z', true],
    ['2025-02-29T10:00:00.000Z', false],
    ['2025-04-31T10:00:00.000Z', false],
    ['2025-13-01T10:00:00.000Z', false],
    ['2025-01-21T24:00:00.000Z', false],
    ['2025-01-21T23:60:00.000Z', false],
    ['2025-01-21T23:59:60.000Z', false],
    [times(LIMITS.minEventTimeMs - 1), false],
    [times(LIMITS.minEventTimeMs), true],
    [times(LIMITS.maxEventTimeMs - 1), true],
    [times(LIMITS.maxEventTimeMs), false],
    ['1970-01-01T00:59:59.999+01:00', false],
    ['2099-12-31T23:59:59.9999999Z', true],
    ['', false],
  ];
  for (const field of ['timestamp', 'original_timestamp', 'sent_at', 'received_at']) {
    for (const [text, ok] of forms) {
      cases.push(variant(`${field} "${text}"`, ok, { [field]: text }));
    }
    cases.push(
      variant(`${field} missing`, false, { [field]: undefined }),
      variant(`${field} a number`, false, { [field]: Date.UTC(2025, 0, 21) }),
    );
  }
  for (const field of ['properties', 'context']) {
    cases.push(
      variant(`${field} ${LIMITS.maxJsonDepth} levels deep`, true, {
        [field]: nested(LIMITS.maxJsonDepth),
      }),
      variant(`${field} ${LIMITS.maxJsonDepth + 1} levels deep`, false, {
        [field]: nested(LIMITS.maxJsonDepth + 1),
      }),
      variant(`${field} nested in arrays too deep`, false, {
        [field]: {
          a: JSON.parse('['.repeat(LIMITS.maxJsonDepth) + ']'.repeat(LIMITS.maxJsonDepth)),
        },
      }),
      variant(`${field} with ${LIMITS.maxJsonKeys} keys`, true, {
        [field]: withKeys(LIMITS.maxJsonKeys),
      }),
      variant(`${field} with ${LIMITS.maxJsonKeys + 1} keys`, false, {
        [field]: withKeys(LIMITS.maxJsonKeys + 1),
      }),
      variant(`${field} with an array of ${LIMITS.maxArrayLength}`, true, {
        [field]: { list: Array.from({ length: LIMITS.maxArrayLength }, (_, i) => i) },
      }),
      variant(`${field} with an array of ${LIMITS.maxArrayLength + 1}`, false, {
        [field]: { list: Array.from({ length: LIMITS.maxArrayLength + 1 }, (_, i) => i) },
      }),
      variant(`${field} an array`, false, { [field]: [] }),
      variant(`${field} null`, false, { [field]: null }),
      variant(`${field} missing`, false, { [field]: undefined }),
    );
  }
  cases.push(
    variant('context.locale of 64', true, { context: { locale: 'l'.repeat(64) } }),
    variant('context.locale of 65', false, { context: { locale: 'l'.repeat(65) } }),
    variant('context.locale a number', false, { context: { locale: 5 } }),
    variant('context.user_agent of 1024', true, { context: { user_agent: 'u'.repeat(1024) } }),
    variant('context.user_agent of 1025', false, { context: { user_agent: 'u'.repeat(1025) } }),
    { name: 'not JSON', ok: false, text: '{"event_id": "e1",' },
    { name: 'an array', ok: false, text: '[]' },
    { name: 'a string', ok: false, text: '"event"' },
    { name: 'null', ok: false, text: 'null' },
  );
  return cases;
}

/**
 * A record of `pulse.events.*` that the TypeScript processor quarantines must be quarantined by
 * the Flink job too, and one it processes the job must process: otherwise the two engines count
 * different events. The Java reader (backend/flink, EventContract and IsoTime) ports the
 * contract's schema; this holds both to the contract's own answer for records at and past each
 * of its bounds, which are computed here from the contract's LIMITS (a limit changed in
 * contract/src/limits.ts and not in the port fails here).
 */
describe.skipIf(skip)('the Flink job and the TypeScript processor read events alike', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-flink-contract-'));
  beforeAll(() => buildFlinkJar({ offline: true }));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses exactly the records the contract refuses', async () => {
    const cases = corpus();
    const file = join(dir, 'records.ndjson');
    writeFileSync(file, cases.map((c) => c.text).join('\n') + '\n');
    const { stdout } = await runFlinkMain(CHECK, [file], { timeoutMs: 60_000 });
    const java = stdout.trimEnd().split('\n');
    expect(java).toHaveLength(cases.length);
    const source = { topic: 'pulse.events.test', partition: 0, offset: '0' };
    const answers = cases.map((c, i) => ({
      name: c.name,
      typescript: 'value' in readRecord(EVENT_RECORD, c.text, null, source),
      java: java[i] === 'ok' ? true : java[i],
    }));
    expect(answers).toEqual(
      cases.map((c) => ({
        name: c.name,
        typescript: c.ok,
        java: c.ok ? true : expect.stringMatching(/^the record is not/),
      })),
    );
  });
});
