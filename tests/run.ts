/**
 * `npm test [-- paths…]`: first the gates (format, lint, type check of the Deno code and the CLI),
 * which stop the run at the first failure; then one throw-away Postgres (logical WAL) and Redis,
 * and every suite (Deno tests, SQL tests, CLI tests). Each test clones its own database from the
 * migrated template. Everything started here is stopped on the way out, also when a suite fails
 * or on Ctrl-C. With paths, only those Deno tests run, without the gates.
 */
import { existsSync } from "node:fs";
import { startThrowaway, stopOnSignal } from "../local/throwaway.ts";

const root = new URL("..", import.meta.url).pathname;
const only = Deno.args.filter((a) => !a.startsWith("-"));
const codePaths = ["functions/", "workers/", "local/", "tests/", "examples/", "bench/", "dtos/"]
  .filter((p) => existsSync(`${root}${p}`));

const gates: { name: string; cmd: string; args: string[] }[] = [
  { name: "format", cmd: Deno.execPath(), args: ["fmt", "--check", "-q"] },
  { name: "lint", cmd: Deno.execPath(), args: ["lint", "-q"] },
  { name: "type check", cmd: Deno.execPath(), args: ["check", "-q", ...codePaths] },
  {
    name: "CLI type check",
    cmd: "npm",
    args: ["run", "--silent", "typecheck", "--workspace", "cli"],
  },
];
if (!only.length) {
  for (const gate of gates) {
    console.log(`=== ${gate.name} ===`);
    const status = await new Deno.Command(gate.cmd, { args: gate.args, cwd: root, stdin: "null" })
      .spawn().status;
    if (!status.success) {
      console.error(`=== ${gate.name} FAILED: fix it before the suites run ===`);
      Deno.exit(1);
    }
  }
}

let failed = false;
/** What also runs through a transaction-mode pgbouncer, so nothing depends on session state. */
const throughPooler = ["tests/ingest.test.ts", "tests/delivery.test.ts", "tests/dto.test.ts"]
  .filter((p) => existsSync(`${root}${p}`));

const services = await startThrowaway({ pooler: true });
stopOnSignal(services.stop);
try {
  const env = { ...Deno.env.toObject(), ...services.env, NO_COLOR: "1" };
  const denoPaths = only.length ? only : codePaths.filter((p) => p !== "bench/");
  const suites: {
    name: string;
    cmd: string;
    args: string[];
    env?: Record<string, string>;
    when: boolean;
  }[] = [
    {
      name: "deno",
      cmd: Deno.execPath(),
      args: ["test", "-A", "--no-check", ...denoPaths], // checked by the gate above
      when: true,
    },
    {
      name: "deno, through pgbouncer (transaction mode)",
      cmd: Deno.execPath(),
      args: ["test", "-A", "--no-check", ...throughPooler],
      env: { SWITCHYARD_TEST_THROUGH_POOLER: "1" },
      when: !only.length && !!services.env.SWITCHYARD_TEST_POOLER_PORT,
    },
    {
      name: "sql",
      cmd: Deno.execPath(),
      args: ["run", "-A", "tests/sql/run.ts"],
      when: !only.length && existsSync(`${root}tests/sql/run.ts`),
    },
    {
      name: "cli",
      cmd: "npm",
      args: ["run", "--silent", "test", "--workspace", "cli"],
      when: !only.length && existsSync(`${root}cli/test`),
    },
  ];
  for (const suite of suites.filter((s) => s.when)) {
    console.log(`\n=== ${suite.name} tests ===`);
    const status = await new Deno.Command(suite.cmd, {
      args: suite.args,
      cwd: root,
      env: { ...env, ...suite.env },
      stdin: "null",
    }).spawn().status;
    if (!status.success) {
      failed = true;
      console.error(`=== ${suite.name} tests FAILED (exit ${status.code}) ===`);
    }
  }
} catch (err) {
  failed = true;
  console.error("test harness failed:", (err as Error).message);
} finally {
  await services.stop();
}
Deno.exit(failed ? 1 : 0);
