/** Percentiles, tables and result files shared by the benchmarks. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function summarize(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  return {
    n: s.length,
    p50: percentile(s, 50),
    p95: percentile(s, 95),
    p99: percentile(s, 99),
    max: s[s.length - 1] ?? NaN,
  };
}

export function median(values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

/** Prints rows as an aligned table and writes them to bench/results/<name>.json. */
export async function report(
  name: string,
  rows: Record<string, string | number>[],
  extra: Record<string, unknown> = {},
) {
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const fmt = (
    v: unknown,
  ) => (typeof v === "number" ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : String(v ?? ""));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => fmt(r[c]).length)));
  console.log(cols.map((c, i) => c.padEnd(widths[i])).join("  "));
  for (const r of rows) console.log(cols.map((c, i) => fmt(r[c]).padEnd(widths[i])).join("  "));
  const root = new URL("..", import.meta.url).pathname;
  await Deno.writeTextFile(
    `${root}bench/results/${name}.json`,
    JSON.stringify({ name, at: new Date().toISOString(), rows, ...extra }, null, 2),
  );
}
