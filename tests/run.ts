/**
 * `npm test`: starts one throw-away Postgres (logical WAL) and Redis on free ports, applies the
 * migrations to a template database with the Supabase CLI, then runs every suite (Deno tests,
 * SQL tests, CLI tests). Each test clones its own database from the template. Everything started
 * here is stopped on the way out, also when a suite fails or the run is interrupted.
 */
import { startCluster } from "../local/postgres.ts";
import { startRedis } from "../local/redis.ts";
import { freePort } from "../local/ports.ts";
import { migrate } from "../local/migrate.ts";
import { run } from "../local/process.ts";
import { existsSync } from "node:fs";

const root = new URL("..", import.meta.url).pathname;
const tmp = await Deno.makeTempDir({ prefix: "switchyard-test-" });
const cleanups: (() => Promise<unknown>)[] = [async () => await Deno.remove(tmp, { recursive: true })];
let cleaning = false;
async function cleanup() {
  if (cleaning) return;
  cleaning = true;
  for (const f of cleanups.reverse()) await f().catch((e) => console.error("cleanup:", e.message));
}
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(sig, async () => {
    await cleanup();
    Deno.exit(130);
  });
}

const only = Deno.args.filter((a) => !a.startsWith("-"));
let failed = false;
try {
  const cluster = await startCluster({ dir: `${tmp}/pg`, port: freePort(), settings: { fsync: "off", synchronous_commit: "off", full_page_writes: "off" } });
  cleanups.push(() => cluster.stop());
  const redis = await startRedis({ port: freePort() });
  cleanups.push(() => redis.stop());

  const template = "switchyard_template";
  await run("psql", [cluster.url, "-qc", `create database ${template}`]);
  const templateUrl = cluster.url.replace(/\/postgres$/, `/${template}`);
  await migrate(templateUrl);

  const env = {
    ...Deno.env.toObject(),
    SWITCHYARD_TEST_PG_URL: cluster.url,
    SWITCHYARD_TEST_TEMPLATE: template,
    SWITCHYARD_TEST_PG_DIR: `${tmp}/pg`,
    SWITCHYARD_TEST_REDIS_URL: redis.url,
    SWITCHYARD_TEST_REDIS_PORT: String(redis.port),
    NO_COLOR: "1",
  };
  const suites: { name: string; cmd: string; args: string[]; when?: () => boolean }[] = [
    { name: "deno", cmd: Deno.execPath(), args: ["test", "-A", "--no-check", ...(only.length ? only : ["functions/", "local/", "tests/", ...(existsSync(`${root}examples`) ? ["examples/"] : [])])] },
    { name: "sql", cmd: Deno.execPath(), args: ["run", "-A", "tests/sql/run.ts"], when: () => !only.length && existsSync(`${root}tests/sql/run.ts`) },
    { name: "cli", cmd: "npm", args: ["run", "--silent", "test", "--workspace", "cli"], when: () => !only.length && existsSync(`${root}cli/test`) },
  ];
  for (const suite of suites) {
    if (suite.when && !suite.when()) continue;
    console.log(`\n=== ${suite.name} tests ===`);
    const status = await new Deno.Command(suite.cmd, { args: suite.args, cwd: root, env, stdin: "null" }).spawn().status;
    if (!status.success) {
      failed = true;
      console.error(`=== ${suite.name} tests FAILED (exit ${status.code}) ===`);
    }
  }
} catch (err) {
  failed = true;
  console.error("test harness failed:", (err as Error).message);
} finally {
  await cleanup();
}
Deno.exit(failed ? 1 : 0);
