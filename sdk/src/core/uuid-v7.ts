let last = 0;
let seq = 0;

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/**
 * A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, version 7, a 12-bit counter (method 1 of
 * section 6.2) and 62 random bits. Ids made by one page sort in creation order even within
 * one millisecond or when the clock steps back, so the queue (keyed by id) stays in order.
 */
export const uuidv7 = (now: number, rand: () => number): string => {
  if (now > last) {
    last = now;
    // Start low in the counter range so that many ids fit in the same millisecond.
    seq = (rand() * 0x800) | 0;
  } else if (++seq > 0xfff) {
    last++;
    seq = 0;
  }
  const t = hex(last, 12);
  return `${t.slice(0, 8)}-${t.slice(8)}-7${hex(seq, 3)}-${hex(0x8000 | (rand() * 0x4000), 4)}-${hex((rand() * 0x1000000) | 0, 6)}${hex((rand() * 0x1000000) | 0, 6)}`;
};
