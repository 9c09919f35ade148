import type { Condition, PulseEvent, SegmentRule } from '@pulse/contract';

type Scalar = string | number | boolean | null;

/** The value at a dotted path of the event (`properties.path`, `context.geo.country`). */
export function valueAt(event: PulseEvent, path: string): unknown {
  let value: unknown = event;
  for (const key of path.split('.')) {
    if (value == null || typeof value != 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

const isNumber = (value: unknown): value is number =>
  typeof value == 'number' && Number.isFinite(value);

/** Whether one condition holds for a value (tests/vectors/README.md, rule 3). */
export function conditionHolds(condition: Condition, value: unknown): boolean {
  if (condition === null || typeof condition != 'object') return value === condition;
  const c = condition;
  if ('eq' in c && value !== c.eq) return false;
  if ('neq' in c && value === c.neq) return false;
  if (c.in && !c.in.includes(value as Scalar & {})) return false;
  if (c.contains !== undefined) {
    const holds =
      typeof value == 'string'
        ? value.includes(c.contains)
        : Array.isArray(value) && value.includes(c.contains);
    if (!holds) return false;
  }
  if (c.starts_with !== undefined) {
    if (typeof value != 'string' || !value.startsWith(c.starts_with)) return false;
  }
  if (c.gt !== undefined && !(isNumber(value) && value > c.gt)) return false;
  if (c.gte !== undefined && !(isNumber(value) && value >= c.gte)) return false;
  if (c.lt !== undefined && !(isNumber(value) && value < c.lt)) return false;
  if (c.lte !== undefined && !(isNumber(value) && value <= c.lte)) return false;
  if (c.exists !== undefined && (value != null) !== c.exists) return false;
  return true;
}

/** Whether an event counts towards a segment rule. */
export function ruleMatches(rule: SegmentRule, event: PulseEvent): boolean {
  if (rule.event_type !== undefined && event.event_type !== rule.event_type) return false;
  if (rule.event_name !== undefined && event.event_name !== rule.event_name) return false;
  for (const [path, condition] of Object.entries(rule.where ?? {})) {
    if (!conditionHolds(condition, valueAt(event, path))) return false;
  }
  return true;
}
