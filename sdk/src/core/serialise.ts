import type { Report } from './types';

/**
 * JSON of whatever the host page handed us. Cycles become "[Circular]" and BigInt a string,
 * with a report; a value that still cannot be serialised (a throwing getter or toJSON) gives
 * undefined and a report. Never throws.
 */
export const serialise = (value: unknown, report: Report): string | undefined => {
  try {
    return JSON.stringify(value);
  } catch (first) {
    try {
      // Ancestors of the value being visited: `this` is the holder, so pop back to it.
      const stack: unknown[] = [];
      const json = JSON.stringify(value, function (this: unknown, _key, v: unknown) {
        if (typeof v == 'bigint') return v + '';
        if (v && typeof v == 'object') {
          while (stack.length && stack[stack.length - 1] !== this) stack.pop();
          if (stack.includes(v)) return '[Circular]';
          stack.push(v);
        }
        return v;
      });
      report('invalid_properties', `properties made serialisable (${first})`);
      return json;
    } catch (error) {
      report('invalid_properties', `properties not serialisable, dropped (${error})`);
    }
  }
};
