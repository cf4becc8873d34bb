/**
 * `npm run bench [-- name…] [--short]`: runs `bench/<name>.ts` (all of them without a name), each
 * against a throw-away durable Postgres and Redis unless it starts its own stack, then prints one
 * table of every figure beside its ceiling or peer and writes `bench/results/summary.json` (each
 * benchmark also writes `bench/results/<name>.json`). `--short` (or BENCH_SECONDS=N) shortens
 * every timed phase, so the whole set runs in minutes: to check the benches work, not for figures.
 */
import { startThrowaway, stopOnSignal } from "../local/throwaway.ts";
import { type Figure, figureRows, printTable } from "./stats.ts";

const root = new URL("..", import.meta.url).pathname;
/** Benchmarks that start what they measure themselves (`npm start`'s processes, the CLI). */
const OWN_STACK = new Set(["stack", "cli"]);
const all = [...Deno.readDirSync(`${root}bench`)]
  .filter((e) => e.isFile).map((e) => e.name).filter((n) =>
    n.endsWith(".ts") && !["run.ts", "stats.ts"].includes(n) && !n.startsWith("_")
  )
  .map((n) => n.slice(0, -3)).sort((a, b) => // The whole stack first: it is what users run.
  (a === "stack" ? -1 : b === "stack" ? 1 : a.localeCompare(b)));
const names = Deno.args.filter((a) => !a.startsWith("-"));
for (const n of names) {
  if (!all.includes(n)) throw new Error(`no benchmark ${n}; have: ${all.join(", ")}`);
}
const flags = Deno.args.filter((a) => a.startsWith("-") && a !== "--short");
const env: Record<string, string> = Deno.args.includes("--short") && !Deno.env.get("BENCH_SECONDS")
  ? { BENCH_SECONDS: "5" }
  : {};

await Deno.mkdir(`${root}bench/results`, { recursive: true });
const ran: { name: string; ok: boolean; seconds: number }[] = [];
for (const name of names.length ? names : all) {
  const services = OWN_STACK.has(name) ? undefined : await startThrowaway({ durable: true });
  if (services) stopOnSignal(services.stop);
  const started = performance.now();
  let ok = false;
  try {
    console.log(`\n=== bench ${name} ===`);
    const status = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `bench/${name}.ts`, ...flags],
      cwd: root,
      env: { ...Deno.env.toObject(), ...env, ...services?.env },
      stdin: "null",
    }).spawn().status;
    ok = status.success;
  } finally {
    await services?.stop();
  }
  ran.push({ name, ok, seconds: Math.round((performance.now() - started) / 1000) });
}

// One table: every figure of this run's benchmarks, beside its ceiling or peer.
const summary: ReturnType<typeof figureRows> = [];
for (const { name, ok } of ran) {
  if (!ok) continue;
  try {
    const result = JSON.parse(await Deno.readTextFile(`${root}bench/results/${name}.json`)) as {
      figures?: Figure[];
    };
    summary.push(...figureRows(name, result.figures ?? []));
  } catch { /* a benchmark without a result file has no figures */ }
}
console.log(
  `\n=== summary (${
    env.BENCH_SECONDS ?? Deno.env.get("BENCH_SECONDS") ?? "full"
  } s phases; load average ${
    Deno.loadavg().map((l) => l.toFixed(1)).join(" ")
  } on ${navigator.hardwareConcurrency} cores) ===`,
);
if (summary.length) printTable(summary);
for (const r of ran.filter((r) => !r.ok)) console.log(`bench ${r.name} FAILED`);
await Deno.writeTextFile(
  `${root}bench/results/summary.json`,
  JSON.stringify(
    {
      at: new Date().toISOString(),
      short: env.BENCH_SECONDS ?? Deno.env.get("BENCH_SECONDS") ?? null,
      ran,
      figures: summary,
    },
    null,
    2,
  ),
);
Deno.exit(ran.every((r) => r.ok) ? 0 : 1);
