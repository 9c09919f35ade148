/**
 * Counts of one customer's events per hour and event type, from one system (the legacy
 * pipeline or Pulse). `hour` is the start of the UTC hour, ISO 8601.
 */
export interface HourlyCount {
  hour: string;
  event_type: string;
  count: number;
}

/** One hour and event type of the parity report. */
export interface ParityRow {
  hour: string;
  event_type: string;
  legacy: number;
  pulse: number;
  /** |pulse − legacy| / legacy (1 when legacy has none and Pulse has some). */
  discrepancy: number;
  alert: boolean;
}

export interface ParityReport {
  from: string;
  to: string;
  /** A row alerts above this share of difference. */
  threshold: number;
  alert: boolean;
  totals: { legacy: number; pulse: number; discrepancy: number };
  rows: ParityRow[];
}

/** The original design's bar: counts may differ by 0.1% before anyone is told. */
export const PARITY_THRESHOLD = 0.001;

const share = (legacy: number, pulse: number) =>
  legacy === 0 ? (pulse === 0 ? 0 : 1) : Math.abs(pulse - legacy) / legacy;

/**
 * Compares the legacy pipeline's counts with Pulse's, hour by hour and type by type; an hour
 * and type only one side has counts 0 on the other. Rows oldest first, then by event type.
 */
export function parityReport(
  range: { from: string; to: string },
  legacy: HourlyCount[],
  pulse: HourlyCount[],
  threshold = PARITY_THRESHOLD,
): ParityReport {
  const cells = new Map<
    string,
    { hour: string; event_type: string; legacy: number; pulse: number }
  >();
  const cell = (count: HourlyCount) => {
    const hour = new Date(count.hour).toISOString();
    const key = JSON.stringify([hour, count.event_type]);
    let found = cells.get(key);
    if (!found)
      cells.set(key, (found = { hour, event_type: count.event_type, legacy: 0, pulse: 0 }));
    return found;
  };
  for (const count of legacy) cell(count).legacy += count.count;
  for (const count of pulse) cell(count).pulse += count.count;
  const rows = [...cells.values()]
    .sort((a, b) => a.hour.localeCompare(b.hour) || a.event_type.localeCompare(b.event_type))
    .map((row) => {
      const discrepancy = share(row.legacy, row.pulse);
      return { ...row, discrepancy, alert: discrepancy > threshold };
    });
  const totals = rows.reduce(
    (sum, row) => ({ legacy: sum.legacy + row.legacy, pulse: sum.pulse + row.pulse }),
    {
      legacy: 0,
      pulse: 0,
    },
  );
  return {
    ...range,
    threshold,
    alert: rows.some((row) => row.alert),
    totals: { ...totals, discrepancy: share(totals.legacy, totals.pulse) },
    rows,
  };
}
