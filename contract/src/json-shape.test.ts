import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonShape, jsonShapeIssue, type JsonShapeLimits } from './json-shape';
import { LIMITS } from './limits';

/** Strings of every kind of UTF-16 unit: ASCII, control characters, BMP, astral, lone surrogates. */
const anyText = fc.string({
  unit: fc.oneof(
    fc.constantFrom('a', '"', '\\', '\u0000', '\u001f', '\u007f', '\u2028'),
    fc.integer({ min: 0x80, max: 0xffff }).map((unit) => String.fromCharCode(unit)),
    fc.constantFrom('😀', '\ud800', '\udfff'),
  ),
  maxLength: 40,
});

const scalar = fc.oneof(
  anyText,
  fc.double(),
  fc.integer(),
  fc.constantFrom(
    -Number.MAX_VALUE,
    -Number.MIN_VALUE,
    -0.0000012345678901234567,
    -123456789012345680000,
    -2.2250738585072014e-308,
  ),
  fc.boolean(),
  fc.constant(null),
);

/** JSON values up to 6 levels deep, with objects keyed by any kind of text. */
const { json } = fc.letrec<{ json: unknown }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('json'), { maxLength: 5 }),
    fc.dictionary(anyText, tie('json'), { maxKeys: 5 }),
  ),
}));

/** What the limits look at, measured the plain way. */
function stats(value: unknown, depth = 0): { depth: number; keys: number; longest: number } {
  if (typeof value !== 'object' || value === null) return { depth, keys: 0, longest: 0 };
  const children = Array.isArray(value) ? value : Object.values(value);
  const inner = children.map((child) => stats(child, depth + 1));
  return {
    depth: Math.max(depth + 1, ...inner.map((s) => s.depth)),
    keys: (Array.isArray(value) ? 0 : children.length) + inner.reduce((n, s) => n + s.keys, 0),
    longest: Math.max(Array.isArray(value) ? value.length : 0, ...inner.map((s) => s.longest)),
  };
}

describe('jsonShape', () => {
  it('bounds the UTF-8 bytes of JSON.stringify from above, for any JSON value', () => {
    fc.assert(
      fc.property(json, (value) => {
        const shape = jsonShape(value, { maxDepth: 10, maxKeys: 1000, maxArrayLength: 1000 });
        expect(shape.issue).toBeUndefined();
        const bytes = Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
        expect(shape.maxBytes).toBeGreaterThanOrEqual(bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it('counts each string unit at its longest escaped form', () => {
    // 1,000 control characters serialise as \u0001 each: 6,002 bytes.
    const controls = '\u0001'.repeat(1000);
    expect(Buffer.byteLength(JSON.stringify(controls))).toBe(6002);
    expect(jsonShape(controls).maxBytes).toBeGreaterThanOrEqual(6002);
    // A lone surrogate serialises escaped too.
    expect(JSON.stringify('\ud800')).toBe('"\\ud800"');
    expect(jsonShape({ ['\ud800']: '\udfff' }).maxBytes).toBeGreaterThanOrEqual(
      Buffer.byteLength(JSON.stringify({ ['\ud800']: '\udfff' })),
    );
  });

  it('cannot bound an object with its own toJSON', () => {
    expect(jsonShape({ at: new Date(0) }).maxBytes).toBe(Infinity);
  });

  it('finds an issue exactly when the value is over a limit', () => {
    const limits: JsonShapeLimits = { maxDepth: 3, maxKeys: 6, maxArrayLength: 3 };
    fc.assert(
      fc.property(json, (value) => {
        const measured = stats(value);
        const over =
          measured.depth > limits.maxDepth ||
          measured.keys > limits.maxKeys ||
          measured.longest > limits.maxArrayLength;
        const shape = jsonShape(value, limits);
        expect(shape.issue !== undefined).toBe(over);
        if (over) expect(shape.maxBytes).toBe(Infinity);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses a value nested 100,000 levels deep without overflowing the stack', () => {
    let deep: unknown = {};
    for (let i = 0; i < 100_000; i++) deep = i % 2 ? { a: deep } : [deep];
    expect(jsonShapeIssue(deep)).toBe(`nests deeper than ${LIMITS.maxJsonDepth} levels`);
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
  });

  it('names the limit a value is over', () => {
    expect(jsonShapeIssue({ a: Array(LIMITS.maxArrayLength + 1).fill(0) })).toBe(
      `has an array of over ${LIMITS.maxArrayLength} items`,
    );
    const wide = Object.fromEntries(
      Array.from({ length: LIMITS.maxJsonKeys + 1 }, (_, i) => [`k${i}`, i]),
    );
    expect(jsonShapeIssue(wide)).toBe(`has over ${LIMITS.maxJsonKeys} keys`);
    expect(jsonShapeIssue({ a: { b: 1 } })).toBeUndefined();
  });
});
