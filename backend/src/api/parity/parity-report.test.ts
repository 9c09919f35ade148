import { describe, expect, it } from 'vitest';
import { parityReport } from './parity-report';

const range = { from: '2026-11-01T10:00:00.000Z', to: '2026-11-01T12:00:00.000Z' };
const at = (hour: number) => `2026-11-01T${String(hour).padStart(2, '0')}:00:00.000Z`;

describe('parityReport', () => {
  it('alerts only above 0.1%: 999 of 1,000 is within, 998 is not', () => {
    const report = parityReport(
      range,
      {
        counts: [
          { hour: at(10), event_type: 'page_view', count: 1000 },
          { hour: at(11), event_type: 'page_view', count: 1000 },
        ],
      },
      {
        counts: [
          { hour: at(10), event_type: 'page_view', count: 999 },
          { hour: at(11), event_type: 'page_view', count: 998 },
        ],
      },
    );
    expect(report.rows.map((row) => [row.hour, row.discrepancy, row.alert])).toEqual([
      [at(10), 0.001, false],
      [at(11), 0.002, true],
    ]);
    expect(report.alert).toBe(true);
    expect(report.totals).toEqual({ legacy: 2000, pulse: 1997, discrepancy: 0.0015 });
  });

  it('counts an hour and type that one side lacks as 0 there, and alerts on it', () => {
    const report = parityReport(
      range,
      { counts: [{ hour: at(10), event_type: 'click', count: 5 }] },
      {
        counts: [
          { hour: at(10), event_type: 'click', count: 5 },
          { hour: '2026-11-01T10:00:00Z', event_type: 'custom', count: 2 },
        ],
      },
    );
    expect(report.rows).toEqual([
      { hour: at(10), event_type: 'click', legacy: 5, pulse: 5, discrepancy: 0, alert: false },
      { hour: at(10), event_type: 'custom', legacy: 0, pulse: 2, discrepancy: 1, alert: true },
    ]);
  });

  it('is quiet when both sides agree, including when neither saw anything', () => {
    const report = parityReport(range, { counts: [] }, { counts: [], visitors: [] });
    expect(report).toMatchObject({
      alert: false,
      rows: [],
      totals: { legacy: 0, pulse: 0, discrepancy: 0 },
    });
    // Without the legacy side's visitors there is nothing to compare them with.
    expect(report).not.toHaveProperty('visitors');
  });

  it('compares the dashboard’s unique visitors hour by hour when the legacy side gives them', () => {
    const counts = [{ hour: at(10), event_type: 'page_view', count: 10 }];
    const report = parityReport(
      range,
      {
        counts,
        visitors: [
          { hour: at(10), unique_visitors: 1000 },
          { hour: '2026-11-01T11:00:00Z', unique_visitors: 1000 },
        ],
      },
      {
        counts,
        visitors: [
          { hour: at(10), unique_visitors: 999 },
          { hour: at(11), unique_visitors: 998 },
        ],
      },
    );
    expect(report.rows.every((row) => !row.alert)).toBe(true);
    expect(report.visitors).toEqual([
      { hour: at(10), legacy: 1000, pulse: 999, discrepancy: 0.001, alert: false },
      { hour: at(11), legacy: 1000, pulse: 998, discrepancy: 0.002, alert: true },
    ]);
    // The counts agree; the visitors alone raise the alert.
    expect(report.alert).toBe(true);
  });
});
