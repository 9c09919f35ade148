let lastMs = 0;
let counter = 0;

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then a 12-bit counter that keeps ids made
 * in the same millisecond in order, then random bits. Ids sort by creation time.
 */
export const uuidv7 = (ms = Date.now()): string => {
  const b = crypto.getRandomValues(new Uint8Array(16));
  if (ms > lastMs) {
    lastMs = ms;
    counter = ((b[6]! & 7) << 8) | b[7]!; // random start in the lower half leaves room to count
  } else if (++counter > 0xfff) {
    lastMs++;
    counter = 0;
  }
  for (let i = 5, t = lastMs; i >= 0; i--, t = Math.floor(t / 256)) b[i] = t % 256;
  b[6] = 0x70 | (counter >> 8);
  b[7] = counter & 0xff;
  b[8] = (b[8]! & 0x3f) | 0x80;
  let hex = '';
  for (const byte of b) hex += (byte + 256).toString(16).slice(1);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};
