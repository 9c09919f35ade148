/**
 * Counts of one customer's events per hour and event type, from one system (the legacy
 * pipeline or Pulse). `hour` is the start of the UTC hour, ISO 8601.
 */
export interface HourlyCount {
  hour: string;
  event_type: string;
  count: number;
}

/** Distinct visitors of one customer in one UTC hour, from one system: a dashboard number. */
export interface HourlyVisitors {
  hour: string;
  unique_visitors: number;
}

/** What one system says about a range: counts, and (when it gives them) hourly visitors. */
export interface SystemNumbers {
  counts: HourlyCount[];
  visitors?: HourlyVisitors[];
}

/** One hour of the visitors comparison. */
export interface VisitorParityRow {
  hour: string;
  legacy: number;
  pulse: number;
  discrepancy: number;
  alert: boolean;
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
  /**
   * The dashboard's unique visitors per hour on both sides, when the legacy answer gives
   * them (`visitors`); absent otherwise. A row above the threshold alerts like a count.
   */
  visitors?: VisitorParityRow[];
}

/** The original design's bar: counts may differ by 0.1% before anyone is told. */
export const PARITY_THRESHOLD = 0.001;

const share = (legacy: number, pulse: number) =>
  legacy === 0 ? (pulse === 0 ? 0 : 1) : Math.abs(pulse - legacy) / legacy;

/**
 * Compares the legacy pipeline's counts with Pulse's, hour by hour and type by type; an hour
 * and type only one side has counts 0 on the other. Rows oldest first, then by event type.
 * With the legacy side's hourly visitors, they are compared with Pulse's hour by hour too.
 */
export function parityReport(
  range: { from: string; to: string },
  legacyNumbers: SystemNumbers,
  pulseNumbers: SystemNumbers,
  threshold = PARITY_THRESHOLD,
): ParityReport {
  const { counts: legacy } = legacyNumbers;
  const { counts: pulse } = pulseNumbers;
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
  const visitors =
    legacyNumbers.visitors &&
    compareVisitors(legacyNumbers.visitors, pulseNumbers.visitors ?? [], threshold);
  return {
    ...range,
    threshold,
    alert: rows.some((row) => row.alert) || Boolean(visitors?.some((row) => row.alert)),
    totals: { ...totals, discrepancy: share(totals.legacy, totals.pulse) },
    rows,
    ...(visitors ? { visitors } : {}),
  };
}

function compareVisitors(
  legacy: HourlyVisitors[],
  pulse: HourlyVisitors[],
  threshold: number,
): VisitorParityRow[] {
  const hours = new Map<string, { hour: string; legacy: number; pulse: number }>();
  const cell = (row: HourlyVisitors) => {
    const hour = new Date(row.hour).toISOString();
    let found = hours.get(hour);
    if (!found) hours.set(hour, (found = { hour, legacy: 0, pulse: 0 }));
    return found;
  };
  for (const row of legacy) cell(row).legacy = row.unique_visitors;
  for (const row of pulse) cell(row).pulse = row.unique_visitors;
  return [...hours.values()]
    .sort((a, b) => a.hour.localeCompare(b.hour))
    .map((row) => {
      const discrepancy = share(row.legacy, row.pulse);
      return { ...row, discrepancy, alert: discrepancy > threshold };
    });
}
