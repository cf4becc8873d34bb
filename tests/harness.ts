/**
 * What integration tests share: a database of their own cloned from the migrated template, the
 * throw-away Redis behind a REST bridge, a context wired to both, and the functions on a free port.
 * `npm test` (tests/run.ts) starts the cluster and Redis and passes their addresses in.
 */
import postgres from "postgres";
import { createSql, type Sql } from "../functions/_shared/db.ts";
import { loadConfig } from "../functions/_shared/config.ts";
import { type AppContext, createContext } from "../functions/_shared/context.ts";
import { createLogger } from "../functions/_shared/log.ts";
import type { Clock } from "../functions/_shared/clock.ts";
import { freePort } from "../local/ports.ts";
import { serveFunctions } from "../local/serve.ts";
import { startBridge } from "../local/bridge.ts";
import { createApiKey, createTenant } from "../functions/_shared/tenants.ts";
import { loadDtoFolder } from "../functions/_shared/dtos/registry.ts";

const root = new URL("..", import.meta.url).pathname;

function required(name: string): string {
  const v = Deno.env.get(name);
  if (!v) {
    throw new Error(
      `${name} is not set: run the tests with \`npm test\` (tests/run.ts starts Postgres and Redis)`,
    );
  }
  return v;
}

export const SERVICE_KEY = "sy_service_test_key_0123456789abcdef";

/**
 * SWITCHYARD_TEST_THROUGH_POOLER=1 (npm test sets it for a subset of the suites): the stack's
 * functions reach their database through the throw-away pgbouncer in transaction mode, as hosted
 * functions reach Supavisor; the test's own `db.sql`, the relay and LISTEN stay direct.
 */
const throughPooler = Deno.env.get("SWITCHYARD_TEST_THROUGH_POOLER") === "1";

export interface TestDb {
  name: string;
  /** The direct connection. */
  url: string;
  sql: Sql;
  drop(): Promise<void>;
}

/** A fresh database with every migration applied, cloned from the template in milliseconds. */
export async function testDatabase(): Promise<TestDb> {
  const admin = postgres(required("SWITCHYARD_TEST_PG_URL"), { max: 1, onnotice: () => {} });
  const name = `t_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  try {
    await admin.unsafe(`create database ${name} template ${required("SWITCHYARD_TEST_TEMPLATE")}`);
  } finally {
    await admin.end();
  }
  const url = required("SWITCHYARD_TEST_PG_URL").replace(/\/postgres$/, `/${name}`);
  const sql = createSql(url, { max: 10 });
  return {
    name,
    url,
    sql,
    async drop() {
      await sql.end({ timeout: 1 });
      const a = postgres(required("SWITCHYARD_TEST_PG_URL"), { max: 1, onnotice: () => {} });
      try {
        await a`select pg_drop_replication_slot(slot_name) from pg_replication_slots where database = ${name} and not active`;
        await a.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await a.end();
      }
    },
  };
}

/** `url` through the throw-away pgbouncer. */
function poolerUrl(url: string): string {
  const u = new URL(url);
  u.port = required("SWITCHYARD_TEST_POOLER_PORT");
  return u.toString();
}

export interface TestStack {
  db: TestDb;
  ctx: AppContext;
  /** `http://127.0.0.1:<port>/functions/v1` */
  base: string;
  bridge?: { url: string; token: string; stop(): Promise<void> };
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * A database, the bridge in front of the test Redis (unless `store: "memory"`), and the functions
 * served. With `example`, that example's schema.sql is applied and its dtos/ registered the way a
 * user registers theirs (SWITCHYARD_DTO_DIR, also in `env` for child processes).
 */
export async function startStack(
  opts: {
    store?: "redis" | "memory";
    clock?: Clock;
    env?: Record<string, string>;
    example?: string;
  } = {},
): Promise<TestStack> {
  const db = await testDatabase();
  const example = opts.example && `${root}examples/${opts.example}`;
  if (example) await db.sql.unsafe(await Deno.readTextFile(`${example}/schema.sql`));
  const bridge = opts.store === "memory" ? undefined : await startBridge({
    port: freePort(),
    redisPort: Number(required("SWITCHYARD_TEST_REDIS_PORT")),
    token: "test-token",
  });
  const pooled = throughPooler ? poolerUrl(db.url) : undefined;
  const env: Record<string, string> = {
    DATABASE_URL: pooled ?? db.url,
    ...(pooled ? { DB_TRANSACTION_POOLER: "1", DATABASE_DIRECT_URL: db.url } : {}),
    SUPABASE_SERVICE_ROLE_KEY: SERVICE_KEY,
    SWITCHYARD_ALLOW_PRIVATE_TARGETS: "1",
    SWITCHYARD_ENCRYPTION_KEY: btoa("k".repeat(32)),
    LOG_LEVEL: "error",
    ...(example ? { SWITCHYARD_DTO_DIR: `${example}/dtos` } : {}),
    ...(bridge
      ? { UPSTASH_REDIS_REST_URL: bridge.url, UPSTASH_REDIS_REST_TOKEN: bridge.token }
      : {}),
    ...opts.env,
  };
  const port = freePort();
  // Known before the context is built, so an in-process scheduler job can wake these functions
  // and portal links point here.
  env.SUPABASE_URL = `http://127.0.0.1:${port}`;
  const config = loadConfig(env);
  const ctx = createContext(config, {
    clock: opts.clock,
    log: createLogger("test", { level: "error" }),
    dtos: await loadDtoFolder(config.SWITCHYARD_DTO_DIR),
  });
  const server = serveFunctions(ctx, port);
  return {
    db,
    ctx,
    bridge,
    env,
    base: server.url,
    async close() {
      await server.shutdown();
      await ctx.close();
      await bridge?.stop();
      await db.drop();
    },
  };
}

/** A tenant with an API key, straight in the database. */
export async function seedTenant(sql: Sql, slug = `t${crypto.randomUUID().slice(0, 8)}`) {
  await createTenant(sql, slug, `Tenant ${slug}`);
  const { key } = await createApiKey(sql, slug);
  return { slug, key };
}

/** fetch against the stack with a tenant key or the service key. */
export function client(base: string, key: string) {
  return async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    signal?: AbortSignal,
  ) => {
    const res = await fetch(`${base}${path}`, {
      method,
      signal,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: unknown = undefined;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch { /* not JSON */ }
    // Tests read whatever shape the route under test answers.
    // deno-lint-ignore no-explicit-any
    return { status: res.status, headers: res.headers, json: json as any, text };
  };
}
