/**
 * `npm start`: the whole stack on this machine, without Docker. Postgres (project-local cluster
 * unless DATABASE_URL is set), migrations through the Supabase CLI, the fast store (Upstash, or
 * local redis-server behind our REST bridge, or in-process), the functions, the relay and the
 * scheduler, optionally a transaction-mode pgbouncer in front of Postgres. Every process is
 * supervised (local/supervisor.ts): a crash is restarted with backoff. Ctrl-C or SIGTERM stops
 * everything it started.
 */
import { parseArgs } from "node:util";
import { existsSync } from "node:fs";
import { ConfigError, loadConfig } from "../functions/_shared/config.ts";
import { createLogger } from "../functions/_shared/log.ts";
import { createSql } from "../functions/_shared/db.ts";
import { randomToken } from "../functions/_shared/secrets.ts";
import { createApiKey, createTenant } from "../functions/_shared/tenants.ts";
import { startCluster } from "./postgres.ts";
import { startPgbouncer } from "./pgbouncer.ts";
import { Supervisor } from "./supervisor.ts";
import { redisServerPath, startRedis } from "./redis.ts";
import { freePort, waitForPort } from "./ports.ts";
import { type Child, livePid, spawn } from "./process.ts";
import { migrate } from "./migrate.ts";
import { readEnvFile, writeEnvFile } from "./envfile.ts";

const root = new URL("..", import.meta.url).pathname;
// Overridable so tests can run a whole second stack beside a developer's.
const stateDir = Deno.env.get("SWITCHYARD_STATE_DIR") ?? `${root}.switchyard`;
const dbPort = Number(Deno.env.get("SWITCHYARD_DB_PORT") ?? 54322);
const bridgePort = Number(Deno.env.get("SWITCHYARD_BRIDGE_PORT") ?? 8079);
const envPath = `${stateDir}/env`;
const pidPath = `${stateDir}/start.pid`;
const log = createLogger("start");
const deno = Deno.execPath();

const { values: flags } = parseArgs({ args: Deno.args, options: { example: { type: "string" } } });

const supervisor = new Supervisor({ log, statePath: `${stateDir}/supervisor.json` });
const stoppers: (() => Promise<void>)[] = [];
let stopping = false;
async function stopAll(code: number) {
  if (stopping) return;
  stopping = true;
  log.info("stopping");
  for (const stop of stoppers.reverse()) await stop().catch(() => {});
  await supervisor.stopAll();
  if ((await livePid(pidPath, "local/start.ts")) === Deno.pid) await Deno.remove(pidPath);
  Deno.exit(code);
}
for (const sig of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(sig, () => stopAll(0));

/** A Deno child that stops with us; ready once `port` (if any) answers. */
function denoService(name: string, args: string[], env?: Record<string, string>, port?: number) {
  return {
    name,
    async start(): Promise<Child> {
      const child = await spawn(name, deno, { args, env, output: "inherit", exitWithParent: true });
      if (port) {
        await Promise.race([
          waitForPort(port),
          child.process.status.then((s) => {
            throw new Error(`${name} exited (${s.code}) during start-up`);
          }),
        ]);
      }
      return child;
    },
  };
}

try {
  await Deno.mkdir(stateDir, { recursive: true });
  // One stack per state folder: a second would stop the first one's Postgres and Redis as orphans
  // of a crashed run, and the two would fight over them.
  const running = await livePid(pidPath, "local/start.ts");
  if (running !== null) {
    console.error(
      `switchyard: npm start is already running with its state in ${stateDir} (pid ${running}); stop it first (Ctrl-C, or kill ${running}), or give a second stack its own SWITCHYARD_STATE_DIR and ports`,
    );
    Deno.exit(1);
  }
  await Deno.writeTextFile(pidPath, `${Deno.pid}\n`);
  const saved = await readEnvFile(envPath);
  const env = {
    ...saved,
    ...Object.fromEntries(Object.entries(Deno.env.toObject()).filter(([, v]) => v !== "")),
  };
  const firstRun = !saved.SWITCHYARD_DEMO_API_KEY;

  env.SUPABASE_URL ??= `http://127.0.0.1:${env.SWITCHYARD_PORT ?? 54321}`;
  env.SUPABASE_SERVICE_ROLE_KEY ??= `sy_service_${randomToken(40)}`;
  env.SWITCHYARD_ENCRYPTION_KEY ??= btoa(
    String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))),
  );
  env.SWITCHYARD_ALLOW_PRIVATE_TARGETS ??= "1";
  if (flags.example && !existsSync(`${root}examples/${flags.example}/load.ts`)) {
    throw new Error(`no example named ${flags.example} (see examples/)`);
  }
  // An example's DTO types are registered as a user's are: SWITCHYARD_DTO_DIR names their folder.
  if (flags.example && existsSync(`${root}examples/${flags.example}/dtos/index.ts`)) {
    env.SWITCHYARD_DTO_DIR ??= `${root}examples/${flags.example}/dtos`;
  }
  // Fail fast on bad configuration, before anything is started; local services fill the gaps.
  loadConfig({ DATABASE_URL: "postgres://placeholder@127.0.0.1/postgres", ...env });

  // Postgres
  if (!Deno.env.get("DATABASE_URL")) {
    log.info("starting the project-local Postgres cluster", { dir: `${stateDir}/postgres` });
    let url = "";
    await supervisor.add({
      name: "postgres",
      async start() {
        const cluster = await startCluster({ dir: `${stateDir}/postgres`, port: dbPort });
        url = cluster.url;
        return cluster.child;
      },
      // SIGINT is Postgres' "fast" shutdown: disconnect clients, checkpoint, exit.
      stop: (child) => child.stop("SIGINT"),
    });
    env.DATABASE_URL = url;
  }

  // Fast store
  if (!Deno.env.get("UPSTASH_REDIS_REST_URL")) {
    if (redisServerPath()) {
      // Not one of the ports the stack is about to bind itself.
      let redisPort = freePort();
      while ([dbPort, bridgePort, Number(env.SWITCHYARD_PORT ?? 54321)].includes(redisPort)) {
        redisPort = freePort();
      }
      await supervisor.add({
        name: "redis-server",
        start: async () =>
          (await startRedis({
            port: redisPort,
            dir: `${stateDir}/redis`,
            logFile: `${stateDir}/redis.log`,
          })).child,
      });
      env.UPSTASH_REDIS_REST_TOKEN = saved.UPSTASH_REDIS_REST_TOKEN ?? randomToken(32);
      env.UPSTASH_REDIS_REST_URL = `http://127.0.0.1:${bridgePort}`;
      await supervisor.add(denoService(
        "bridge",
        [
          "run",
          "-A",
          `${root}local/bridge.ts`,
          "--port",
          String(bridgePort),
          "--redis-port",
          String(redisPort),
          "--token",
          env.UPSTASH_REDIS_REST_TOKEN,
        ],
        undefined,
        bridgePort,
      ));
    } else {
      delete env.UPSTASH_REDIS_REST_URL;
      delete env.UPSTASH_REDIS_REST_TOKEN;
      log.warn(
        "redis-server not found: using the IN-PROCESS fast store (not durable, single process only)",
      );
    }
  }

  const config = loadConfig(env);

  log.info("applying migrations with the Supabase CLI");
  await migrate(config.DATABASE_URL);

  if (firstRun) {
    const sql = createSql(config.DATABASE_URL, { max: 1 });
    try {
      const slug = env.SWITCHYARD_DEMO_TENANT ?? "demo";
      await createTenant(sql, slug, "Demo tenant").catch((e) => {
        if ((e as { code?: string }).code !== "conflict") throw e;
      });
      const key = await createApiKey(sql, slug, "demo");
      env.SWITCHYARD_DEMO_TENANT = slug;
      env.SWITCHYARD_DEMO_API_KEY = key.key;
    } finally {
      await sql.end();
    }
  }

  const persisted: Record<string, string> = {};
  for (
    const k of [
      "DATABASE_URL",
      "SUPABASE_URL",
      "SUPABASE_SERVICE_ROLE_KEY",
      "UPSTASH_REDIS_REST_URL",
      "UPSTASH_REDIS_REST_TOKEN",
      "SWITCHYARD_ENCRYPTION_KEY",
      "SWITCHYARD_DEMO_TENANT",
      "SWITCHYARD_DEMO_API_KEY",
    ]
  ) if (env[k]) persisted[k] = env[k];
  await writeEnvFile(envPath, persisted);

  const childEnv: Record<string, string> = {
    ...Deno.env.toObject(),
    ...env,
    SWITCHYARD_SUPERVISOR_STATE: `${stateDir}/supervisor.json`,
  };
  const port = config.SWITCHYARD_PORT;

  // The functions reach Postgres through the pooler when asked, as hosted edge functions reach
  // Supavisor; the relay (replication) and the scheduler (LISTEN) keep the direct connection.
  let functionsEnv = childEnv;
  if (config.SWITCHYARD_POOLER === "pgbouncer") {
    const poolerPort = freePort();
    const dbUrl = new URL(config.DATABASE_URL);
    let pooledUrl = "";
    await supervisor.add({
      name: "pgbouncer",
      async start() {
        const pooler = await startPgbouncer({
          port: poolerPort,
          dbPort: Number(dbUrl.port || 5432),
          dir: `${stateDir}/pgbouncer`,
          users: [decodeURIComponent(dbUrl.username) || "postgres"],
        });
        pooledUrl = pooler.pooled(config.DATABASE_URL);
        return pooler.child;
      },
    });
    functionsEnv = {
      ...childEnv,
      DATABASE_URL: pooledUrl,
      DB_TRANSACTION_POOLER: "1",
      DATABASE_DIRECT_URL: config.DATABASE_URL,
    };
  }

  const instances = config.SWITCHYARD_FUNCTION_INSTANCES || navigator.hardwareConcurrency || 1;
  for (let i = 1; i <= instances; i++) {
    await supervisor.add(
      denoService(
        instances === 1 ? "functions" : `functions#${i}`,
        ["run", "-A", `${root}local/serve.ts`],
        functionsEnv,
        port,
      ),
    );
  }
  await supervisor.add(
    denoService("relay", ["run", "-A", `${root}workers/relay/main.ts`], childEnv),
  );
  await supervisor.add(
    denoService("scheduler", ["run", "-A", `${root}workers/scheduler/main.ts`], childEnv),
  );

  const base = `http://127.0.0.1:${port}/functions/v1`;
  console.log(`
Switchyard is running.${firstRun ? " (first run: demo tenant created)" : ""}

  functions         ${base}/{api,admin,pipeline,telegram} (${instances} process${
    instances === 1 ? "" : "es"
  })${config.SWITCHYARD_POOLER === "pgbouncer" ? ", through pgbouncer (transaction mode)" : ""}
  DATABASE_URL      ${config.DATABASE_URL}
  fast store        ${config.UPSTASH_REDIS_REST_URL ?? "in-process (not durable)"}
  SUPABASE_URL      ${config.SUPABASE_URL}
  SUPABASE_SERVICE_ROLE_KEY  ${env.SUPABASE_SERVICE_ROLE_KEY}
  demo tenant       ${env.SWITCHYARD_DEMO_TENANT}
  demo API key      ${env.SWITCHYARD_DEMO_API_KEY}
  (all of these are in .switchyard/env)

Try:
  curl ${base}/api/health
  curl -X POST ${base}/api/events -H "Authorization: Bearer ${env.SWITCHYARD_DEMO_API_KEY}" \\
    -H 'Content-Type: application/json' \\
    -d '{"type":"order.confirmed","entity":{"type":"order","id":"o-123"},"data":{"total":42}}'
  npx switchyard status

Ctrl-C stops everything.`);
  if (flags.example) {
    const loader = `${root}examples/${flags.example}/load.ts`;
    const { load } = await import(loader);
    // An example may start helpers of its own (a webhook receiver, a fake ERP); they stop with us.
    const stop = await load({ env: childEnv, log });
    if (typeof stop === "function") stoppers.push(stop);
  }
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`switchyard: ${err.message}`);
  } else {
    console.error(`switchyard: start-up failed: ${(err as Error).message}`);
  }
  await stopAll(1);
}
