/**
 * What the examples' set-up shares (the shop's and the ERP example's): the configuration, a pool with
 * the example's schema applied and the admin API; helper servers on 127.0.0.1 with Postgres errors a
 * caller can act on as HTTP answers; and stopping everything in reverse order.
 */
import type { Hono } from "hono";
import { type Config, loadConfig } from "../../functions/_shared/config.ts";
import { createSql, type Sql } from "../../functions/_shared/db.ts";
import { type AdminApi, adminApi } from "./admin.ts";

export interface ExampleBase {
  config: Config;
  sql: Sql;
  api: AdminApi;
  /** Stops what was added to it; the pool ends last. */
  running: ReturnType<typeof stopList>;
}

/** Validates `env`, opens a small pool, applies `schema` (idempotent SQL) and points at the admin API. */
export async function openExample(
  env: Record<string, string>,
  schema: URL,
  application: string,
): Promise<ExampleBase> {
  const config = loadConfig(env);
  const sql = createSql(config.DATABASE_URL, { max: 4, application });
  const running = stopList();
  running.add(() => sql.end({ timeout: 1 }));
  try {
    await sql.unsafe(await Deno.readTextFile(schema));
  } catch (err) {
    await running.stopAll();
    throw err;
  }
  return { config, sql, api: adminApi(config), running };
}

export interface LocalServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Serves `app` on 127.0.0.1:`port` (0: the OS picks one). */
export function serveLocal(app: Hono, port: number): LocalServer {
  const server = Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, app.fetch);
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    port: server.addr.port,
    stop: () => server.shutdown(),
  };
}

/** Answers the Postgres error codes in `answers` with their status and message; anything else is a 500. */
export function answerPostgresErrors(app: Hono, answers: Record<string, [number, string]>): void {
  app.onError((err, c) => {
    const known = answers[(err as { code?: string }).code ?? ""];
    if (known) return c.json({ error: known[1] }, known[0] as 400);
    console.error(err);
    return c.json({ error: "internal error" }, 500);
  });
}

/** Stop functions, run last-in first-out; one that fails does not keep the others from running. */
function stopList() {
  const stops: (() => Promise<unknown>)[] = [];
  return {
    add: (...fns: (() => Promise<unknown>)[]) => void stops.push(...fns),
    async stopAll() {
      for (const stop of stops.splice(0).reverse()) await stop().catch(() => {});
    },
  };
}
