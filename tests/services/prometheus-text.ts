/**
 * The samples of a Prometheus text exposition (`/metrics`): `name{labels}` → value, exactly as
 * the series is written (labels in the exporter's order). Comment and blank lines are skipped.
 */
export function parsePrometheusText(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}
