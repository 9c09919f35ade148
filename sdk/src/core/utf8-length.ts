const encoder = new TextEncoder();

/** Bytes of a string in UTF-8, as the edge counts them against its limits. */
export const utf8Length = (s: string): number => encoder.encode(s).length;
