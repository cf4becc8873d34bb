/** Percentiles, tables, durations and result files shared by the benchmarks. */
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

/**
 * Seconds for one timed phase: `--seconds=N`, else BENCH_SECONDS (the short mode of
 * `npm run bench -- --short`), else `fallback`.
 */
export function benchSeconds(fallback: number): number {
  const flag = Deno.args.find((a) => a.startsWith("--seconds="))?.split("=")[1];
  const n = Number(flag ?? Deno.env.get("BENCH_SECONDS") ?? fallback);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`seconds must be positive, got ${n}`);
  return n;
}

/** A count scaled down in short mode, in proportion to BENCH_SECONDS against `fullSeconds`. */
export function benchCount(full: number, fullSeconds: number, floor = 1): number {
  const short = Deno.env.get("BENCH_SECONDS");
  if (!short) return full;
  return Math.max(floor, Math.round(full * Math.min(1, Number(short) / fullSeconds)));
}

/**
 * One line of the summary `npm run bench` prints: a figure beside its ceiling or peer measured
 * in the same run, and the target it is held to.
 */
export interface Figure {
  what: string;
  value: number;
  unit: string;
  /** The ceiling or peer, measured in the same run. */
  beside?: { what: string; value: number };
  /** value / beside.value, or as the target defines it. */
  ratio?: number;
  target?: string;
  met?: boolean;
}

/** Prints rows as an aligned table. */
export function printTable(rows: Record<string, string | number | undefined>[]) {
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const fmt = (v: unknown) =>
    typeof v === "number"
      ? (Number.isInteger(v) ? String(v) : Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2))
      : String(v ?? "");
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => fmt(r[c]).length)));
  console.log(cols.map((c, i) => c.padEnd(widths[i])).join("  "));
  for (const r of rows) console.log(cols.map((c, i) => fmt(r[c]).padEnd(widths[i])).join("  "));
}

/** Figures as summary rows. */
export function figureRows(bench: string, figures: Figure[]) {
  return figures.map((f) => ({
    bench,
    what: f.what,
    value: f.value,
    unit: f.unit,
    beside: f.beside ? `${f.beside.what}: ${fmtNumber(f.beside.value)}` : "",
    ratio: f.ratio ?? (f.beside ? f.value / f.beside.value : undefined),
    target: f.target ?? "",
    met: f.met === undefined ? "" : f.met ? "yes" : "NO",
  }));
}

function fmtNumber(v: number) {
  return Number.isInteger(v) ? String(v) : Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2);
}

/** Prints rows (and figures) and writes them to bench/results/<name>.json. */
export async function report(
  name: string,
  rows: Record<string, string | number>[],
  extra: Record<string, unknown> & { figures?: Figure[] } = {},
) {
  printTable(rows);
  if (extra.figures?.length) {
    console.log("");
    printTable(figureRows(name, extra.figures));
  }
  const root = new URL("..", import.meta.url).pathname;
  await Deno.mkdir(`${root}bench/results`, { recursive: true });
  await Deno.writeTextFile(
    `${root}bench/results/${name}.json`,
    JSON.stringify(
      {
        name,
        at: new Date().toISOString(),
        short: Deno.env.get("BENCH_SECONDS") ?? null,
        loadavg: Deno.loadavg(),
        cores: navigator.hardwareConcurrency,
        rows,
        ...extra,
      },
      null,
      2,
    ),
  );
}
