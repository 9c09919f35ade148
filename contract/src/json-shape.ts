import { LIMITS } from './limits';

/** The bounds `jsonShape` measures against. */
export interface JsonShapeLimits {
  maxDepth: number;
  maxKeys: number;
  maxArrayLength: number;
}

/** What `jsonShape` found out about a JSON value in one pass. */
export interface JsonShape {
  /** Why the value is over the limits, or undefined when it is within them. */
  issue: string | undefined;
  /**
   * An upper bound on the UTF-8 bytes of `JSON.stringify(value)` (Infinity when the walk cannot
   * bound it: an object with its own `toJSON`, which no parsed JSON has); meaningful only when
   * `issue` is undefined. Every UTF-16 unit of a string or key is counted as 6 bytes, its
   * longest form (`\u001f`, or a lone surrogate's `\udXXX`), and every number as 32 bytes (no
   * number prints longer than 25), so a value bounded under a limit needs no serialising to
   * know it is under.
   */
  maxBytes: number;
}

/** The contract's bounds for an event's `properties` or `context`. */
const SHAPE: JsonShapeLimits = {
  maxDepth: LIMITS.maxJsonDepth,
  maxKeys: LIMITS.maxJsonKeys,
  maxArrayLength: LIMITS.maxArrayLength,
};

/** Bytes of a number, boolean or null at the most (see `JsonShape.maxBytes`). */
const SCALAR_BYTES = 32;
/** Bytes per UTF-16 unit of a string at the most: `\u0000`. */
const UNIT_BYTES = 6;

/**
 * Measures a JSON value against the contract's shape limits (nesting depth, keys, array
 * length) and bounds the size of its serialised form, in one pass. Recursive, but it never
 * descends below `maxDepth` (so `maxDepth` must be small: the contract's is 16): a hostile value
 * thousands of levels deep is refused after `maxDepth` frames, before anything serialises it.
 *
 * @example
 * jsonShape({ a: 'b' })          // { issue: undefined, maxBytes: 20 }
 * jsonShape(deeplyNested).issue  // 'nests deeper than 16 levels'
 */
export function jsonShape(value: unknown, limits: JsonShapeLimits = SHAPE): JsonShape {
  const walk: Walk = { limits, keys: 0, issue: undefined };
  const maxBytes = measure(walk, value, 0);
  return walk.issue === undefined
    ? { issue: undefined, maxBytes }
    : { issue: walk.issue, maxBytes: Infinity };
}

/** One walk's running state: keys seen so far, and the first issue found. */
interface Walk {
  limits: JsonShapeLimits;
  keys: number;
  issue: string | undefined;
}

/** The bound of one value at `depth`, or -1 once an issue is found (in `walk.issue`). */
function measure(walk: Walk, item: unknown, depth: number): number {
  if (typeof item === 'string') return item.length * UNIT_BYTES + 2;
  if (typeof item !== 'object' || item === null) return SCALAR_BYTES;
  const { maxDepth, maxKeys, maxArrayLength } = walk.limits;
  if (depth + 1 > maxDepth) {
    walk.issue = `nests deeper than ${maxDepth} levels`;
    return -1;
  }
  if (Array.isArray(item)) {
    if (item.length > maxArrayLength) {
      walk.issue = `has an array of over ${maxArrayLength} items`;
      return -1;
    }
    let bytes = 2 + item.length;
    for (let i = 0; i < item.length; i++) {
      const inner = measure(walk, item[i], depth + 1);
      if (inner < 0) return -1;
      bytes += inner;
    }
    return bytes;
  }
  let bytes = typeof (item as { toJSON?: unknown }).toJSON === 'function' ? Infinity : 2;
  for (const key in item) {
    if (!Object.hasOwn(item, key)) continue;
    if (++walk.keys > maxKeys) {
      walk.issue = `has over ${maxKeys} keys`;
      return -1;
    }
    const inner = measure(walk, (item as Record<string, unknown>)[key], depth + 1);
    if (inner < 0) return -1;
    bytes += key.length * UNIT_BYTES + 4 + inner;
  }
  return bytes;
}

/**
 * Why a JSON value is over the contract's shape limits (nesting depth, keys, array length),
 * or undefined when it is within them (`jsonShape`'s verdict alone).
 *
 * @example
 * jsonShapeIssue({ a: { b: 1 } }) // undefined
 * jsonShapeIssue(deeplyNested)    // 'nests deeper than 16 levels'
 */
export function jsonShapeIssue(
  value: unknown,
  limits: JsonShapeLimits = SHAPE,
): string | undefined {
  return jsonShape(value, limits).issue;
}
