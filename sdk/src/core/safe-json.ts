/**
 * JSON of anything a host page passes: BigInt becomes a string, a circular reference becomes
 * "[Circular]", functions and symbols are left out. Returns undefined if it still cannot be
 * serialised (a throwing getter, say).
 */
export const safeJson = (value: unknown): string | undefined => {
  const seen = new WeakSet<object>();
  try {
    return JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === 'bigint') return String(v);
      if (v && typeof v === 'object') {
        if (seen.has(v)) return '[Circular]';
        seen.add(v);
      }
      return v;
    });
  } catch {
    return undefined;
  }
};

/** UTF-8 length of a string, without allocating. */
export const utf8Bytes = (s: string): number => {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) n += c > 0x7ff && (c < 0xd800 || c > 0xdfff) ? 2 : 1;
  }
  return n;
};
