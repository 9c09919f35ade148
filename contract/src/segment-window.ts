const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** The longest segment window: evidence is kept for the window, so this is a storage bound. */
export const MAX_WINDOW_MS = 90 * UNIT_MS.d;

/**
 * A segment window (`30m`, `24h`, `7d`) in milliseconds; `null` for anything else, or longer
 * than 90 days. The one parser of windows: the processor runs with it and the Segment API
 * validates with it, so a window the API accepts is one the processor understands.
 */
export function parseWindow(window: string): number | null {
  const match = /^([1-9]\d{0,4})([mhd])$/.exec(window);
  if (!match) return null;
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  return ms <= MAX_WINDOW_MS ? ms : null;
}
