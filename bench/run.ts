/**
 * `npm run bench [-- name…]`: runs `bench/<name>.ts` (all of them without a name) against a
 * throw-away durable Postgres and Redis. Each benchmark prints a table and writes
 * `bench/results/<name>.json`.
 */
import { startThrowaway, stopOnSignal } from "../local/throwaway.ts";

const root = new URL("..", import.meta.url).pathname;
const all = [...Deno.readDirSync(`${root}bench`)]
  .map((e) => e.name).filter((n) =>
    n.endsWith(".ts") && !["run.ts", "stats.ts"].includes(n) && !n.startsWith("_")
  )
  .map((n) => n.slice(0, -3)).sort();
const names = Deno.args.filter((a) => !a.startsWith("-"));
for (const n of names) {
  if (!all.includes(n)) throw new Error(`no benchmark ${n}; have: ${all.join(", ")}`);
}

await Deno.mkdir(`${root}bench/results`, { recursive: true });
let failed = false;
for (const name of names.length ? names : all) {
  const services = await startThrowaway({ durable: true });
  stopOnSignal(services.stop);
  try {
    console.log(`\n=== bench ${name} ===`);
    const status = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `bench/${name}.ts`, ...Deno.args.filter((a) => a.startsWith("-"))],
      cwd: root,
      env: { ...Deno.env.toObject(), ...services.env },
      stdin: "null",
    }).spawn().status;
    if (!status.success) failed = true;
  } finally {
    await services.stop();
  }
}
Deno.exit(failed ? 1 : 0);
