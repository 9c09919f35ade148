const encoder = new TextEncoder();

/** Bytes of `text` in UTF-8, without encoding it when its length already decides a bound. */
export function utf8LengthOver(text: string, limit: number): boolean {
  if (text.length > limit) return true; // at least one byte per UTF-16 unit
  if (text.length * 3 <= limit) return false; // at most three bytes per UTF-16 unit
  return encoder.encode(text).byteLength > limit;
}
