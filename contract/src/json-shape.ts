import { LIMITS } from './limits';

/** The bounds `jsonShapeIssue` measures against. */
export interface JsonShapeLimits {
  maxDepth: number;
  maxKeys: number;
  maxArrayLength: number;
}

/** The contract's bounds for an event's `properties` or `context`. */
const SHAPE: JsonShapeLimits = {
  maxDepth: LIMITS.maxJsonDepth,
  maxKeys: LIMITS.maxJsonKeys,
  maxArrayLength: LIMITS.maxArrayLength,
};

/**
 * Why a JSON value is over the contract's shape limits (nesting depth, keys, array length),
 * or undefined when it is within them. Iterative, so a hostile value thousands of levels deep
 * is measured without recursion and refused before anything serialises it.
 *
 * @example
 * jsonShapeIssue({ a: { b: 1 } }) // undefined
 * jsonShapeIssue(deeplyNested)    // 'nests deeper than 16 levels'
 */
export function jsonShapeIssue(
  value: unknown,
  limits: JsonShapeLimits = SHAPE,
): string | undefined {
  const { maxDepth, maxKeys, maxArrayLength } = limits;
  const pending: [unknown, number][] = [[value, 0]];
  let keys = 0;
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [item, depth] = next;
    if (typeof item != 'object' || item === null) continue;
    if (depth + 1 > maxDepth) return `nests deeper than ${maxDepth} levels`;
    if (Array.isArray(item)) {
      if (item.length > maxArrayLength) return `has an array of over ${maxArrayLength} items`;
      for (const element of item) pending.push([element, depth + 1]);
      continue;
    }
    for (const key in item) {
      if (!Object.hasOwn(item, key)) continue;
      if (++keys > maxKeys) return `has over ${maxKeys} keys`;
      pending.push([(item as Record<string, unknown>)[key], depth + 1]);
    }
  }
  return undefined;
}
