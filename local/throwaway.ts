/**
 * A throw-away Postgres cluster (logical WAL) and Redis on free ports, with the migrations applied
 * to a template database by the Supabase CLI, and a transaction-mode pgbouncer in front of the
 * cluster when asked. `npm test` and `npm run bench` both start one.
 */
import { startCluster } from "./postgres.ts";
import { startRedis } from "./redis.ts";
import { freePort } from "./ports.ts";
import { migrate } from "./migrate.ts";
import { run } from "./process.ts";
import { pgbouncerPath, startPgbouncer } from "./pgbouncer.ts";

export interface Throwaway {
  /** What test and bench processes read to find the services. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startThrowaway(
  opts: { durable?: boolean; pooler?: boolean } = {},
): Promise<Throwaway> {
  const tmp = await Deno.makeTempDir({ prefix: "switchyard-" });
  // The cluster runs as an unprivileged user, who must be able to reach its folder.
  await Deno.chmod(tmp, 0o755);
  const stops: (() => Promise<unknown>)[] = [() => Deno.remove(tmp, { recursive: true })];
  const stop = async () => {
    for (const f of stops.reverse()) await f().catch((e) => console.error("cleanup:", e.message));
  };
  try {
    // Tests trade crash safety for speed; benchmarks measure durable commits.
    const settings: Record<string, string> = opts.durable
      ? {}
      : { fsync: "off", synchronous_commit: "off", full_page_writes: "off" };
    const cluster = await startCluster({ dir: `${tmp}/pg`, port: freePort(), settings });
    stops.push(() => cluster.stop());
    const redis = await startRedis({ port: freePort() });
    stops.push(() => redis.stop());
    const pooler = opts.pooler && pgbouncerPath()
      ? await startPgbouncer({ port: freePort(), dbPort: cluster.port, dir: `${tmp}/pgbouncer` })
      : undefined;
    if (pooler) stops.push(() => pooler.child.stop());
    const template = "switchyard_template";
    await run("psql", [cluster.url, "-qc", `create database ${template}`]);
    await migrate(cluster.url.replace(/\/postgres$/, `/${template}`));
    return {
      env: {
        SWITCHYARD_TEST_PG_URL: cluster.url,
        SWITCHYARD_TEST_TEMPLATE: template,
        SWITCHYARD_TEST_PG_DIR: `${tmp}/pg`,
        SWITCHYARD_TEST_PG_PORT: String(cluster.port),
        SWITCHYARD_TEST_REDIS_URL: redis.url,
        SWITCHYARD_TEST_REDIS_PORT: String(redis.port),
        ...(pooler ? { SWITCHYARD_TEST_POOLER_PORT: String(pooler.port) } : {}),
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Stops `stop` on SIGINT/SIGTERM too, then exits. */
export function stopOnSignal(stop: () => Promise<void>) {
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(sig, async () => {
      await stop();
      Deno.exit(130);
    });
  }
}
