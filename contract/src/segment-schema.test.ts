import { describe, expect, it } from 'vitest';
import { fieldIssues, parseWindow, segmentDefinitionSchema } from './schema';

const valid = {
  id: 'pricing_fans',
  name: 'Pricing fans',
  rule: {
    event_type: 'page_view',
    where: { 'properties.path': '/pricing', 'context.geo.country': { in: ['DE', 'FR'] } },
    min_count: 3,
    window: '7d',
  },
};

const reasonFor = (value: unknown): string => {
  const result = segmentDefinitionSchema.safeParse(value);
  if (result.success) throw new Error('expected the definition to be refused');
  return fieldIssues(result.error)
    .map((issue) => `${issue.path}: ${issue.message}`)
    .join('; ');
};

describe('segmentDefinitionSchema', () => {
  it('accepts a definition with bare values and operator objects', () => {
    expect(segmentDefinitionSchema.parse(valid)).toEqual(valid);
    const operators = { eq: 1, neq: null, contains: 'a', starts_with: '/', gt: 1, lte: 9 };
    const parsed = segmentDefinitionSchema.parse({
      id: 'a-1',
      rule: {
        where: { 'properties.n': operators, 'properties.x': { exists: false } },
        min_count: 1,
        window: '30m',
      },
    });
    expect(parsed.rule.where?.['properties.n']).toEqual(operators);
  });

  it('names the field and says what is expected for each bad part', () => {
    expect(reasonFor({ ...valid, id: 'has space' })).toMatch(/^id: id must be 1-64 letters/);
    expect(reasonFor({ ...valid, id: 'a:b' })).toMatch(/^id: /);
    expect(reasonFor({ ...valid, rule: { ...valid.rule, event_type: 'purchase' } })).toMatch(
      /^rule\.event_type: event_type must be one of page_view, click/,
    );
    expect(reasonFor({ ...valid, rule: { ...valid.rule, min_count: 0 } })).toBe(
      'rule.min_count: min_count must be at least 1',
    );
    expect(reasonFor({ ...valid, rule: { ...valid.rule, min_count: 1.5 } })).toBe(
      'rule.min_count: min_count must be a whole number',
    );
    expect(reasonFor({ ...valid, rule: { ...valid.rule, window: '7w' } })).toMatch(
      /^rule\.window: window must be <n>m, <n>h or <n>d/,
    );
    expect(reasonFor({ ...valid, rule: { ...valid.rule, window: '91d' } })).toMatch(
      /at most 90 days/,
    );
    expect(
      reasonFor({ ...valid, rule: { ...valid.rule, where: { 'properties.n': { gt: 'x' } } } }),
    ).toMatch(/^rule\.where\.properties\.n/);
    expect(reasonFor({ ...valid, rule: { ...valid.rule, where: { 'properties.n': {} } } })).toMatch(
      /names at least one operator/,
    );
    expect(reasonFor({ ...valid, rule: { ...valid.rule, where: { 'properties..n': 1 } } })).toMatch(
      /dotted path/,
    );
  });

  it('refuses unknown keys, so a misspelt field never silently means nothing', () => {
    expect(reasonFor({ ...valid, rule: { ...valid.rule, min_cout: 3 } })).toMatch(/min_cout/);
    expect(
      reasonFor({
        ...valid,
        rule: { ...valid.rule, where: { 'properties.n': { gte: 1, great: 2 } } },
      }),
    ).toMatch(/great/);
  });

  it('bounds a rule’s size: conditions, listed values and texts', () => {
    const where = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`properties.p${i}`, i]));
    expect(reasonFor({ ...valid, rule: { ...valid.rule, where } })).toBe(
      'rule.where: where holds at most 20 conditions',
    );
    const many = { 'properties.p': { in: Array.from({ length: 101 }, (_, i) => i) } };
    expect(reasonFor({ ...valid, rule: { ...valid.rule, where: many } })).toMatch(
      /in lists at most 100 values/,
    );
    const long = { 'properties.p': { contains: 'x'.repeat(1001) } };
    expect(reasonFor({ ...valid, rule: { ...valid.rule, where: long } })).toMatch(
      /contains is at most 1000 characters/,
    );
  });

  it('requires min_count and window', () => {
    const reason = reasonFor({ id: 'x', rule: {} });
    expect(reason).toContain('rule.min_count');
    expect(reason).toContain('rule.window');
  });
});

describe('parseWindow', () => {
  it('reads minutes, hours and days up to 90 days', () => {
    expect(parseWindow('30m')).toBe(30 * 60_000);
    expect(parseWindow('24h')).toBe(86_400_000);
    expect(parseWindow('90d')).toBe(90 * 86_400_000);
    expect(parseWindow('129600m')).toBe(null); // 90 days and more digits than the bound allows
    expect(parseWindow('2161h')).toBe(null);
    expect(parseWindow('0d')).toBe(null);
    expect(parseWindow('7 d')).toBe(null);
  });
});
