/**
 * `npm run bench -- ingest [--seconds=15] [--clients=8]`: accepted events/s through
 * `POST /functions/v1/api/events` (batches of 100, several clients, functions in a child process
 * with the fast store behind the REST bridge), and in the same run the raw rates into the same
 * table with the same batches and concurrency: `select switchyard.append_events(...)` and a plain
 * multi-row INSERT. Every phase runs on an emptied log, against a durable Postgres.
 */
import postgres from "postgres";
import { benchSeconds, median, report, summarize } from "./stats.ts";
import { freePort, waitForPort } from "../local/ports.ts";
import { startBridge } from "../local/bridge.ts";
import { spawn } from "../local/process.ts";
import { createSql } from "../functions/_shared/db.ts";
import { seedTenant } from "../tests/harness.ts";
import { orderBatches } from "./lib/events.ts";

const arg = (name: string, fallback: number) =>
  Number(Deno.args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);
const SECONDS = benchSeconds(15);
const CLIENTS = arg("clients", 8);
const BATCH = 100;
const ENTITIES = arg("entities", 20_000);
const root = new URL("..", import.meta.url).pathname;
const env = (name: string) =>
  Deno.env.get(name) ?? (() => {
    throw new Error(`${name} unset: run through npm run bench`);
  })();

const dbName = `bench_ingest_${Date.now()}`;
const admin = postgres(env("SWITCHYARD_TEST_PG_URL"), { max: 1, onnotice: () => {} });
await admin.unsafe(`create database ${dbName} template ${env("SWITCHYARD_TEST_TEMPLATE")}`);
await admin.end();
const dbUrl = env("SWITCHYARD_TEST_PG_URL").replace(/\/postgres$/, `/${dbName}`);
const sql = createSql(dbUrl, { max: CLIENTS + 2 });
const { slug: tenant, key } = await seedTenant(sql, "bench");

const batches: Record<string, unknown>[][] = orderBatches({ size: BATCH, entities: ENTITIES });

/** Runs `CLIENTS` loops of `send` for SECONDS; returns events/s and per-batch latencies. */
async function drive(send: (batch: number) => Promise<number>) {
  const latencies: number[] = [];
  let events = 0;
  let n = 0;
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    while (performance.now() < deadline) {
      const t = performance.now();
      const got = await send(n++ % batches.length);
      events += got;
      latencies.push(performance.now() - t);
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  return { eventsPerSec: events / elapsed, events, latency: summarize(latencies) };
}

async function emptyLog() {
  await sql`truncate switchyard.events, switchyard.entity_versions cascade`;
  await sql`vacuum analyze switchyard.events`;
}

// 1. Over HTTP.
const bridge = await startBridge({
  port: freePort(),
  redisPort: Number(env("SWITCHYARD_TEST_REDIS_PORT")),
  token: "bench-token",
});
const port = freePort();
const functions = await spawn("functions", Deno.execPath(), {
  args: ["run", "-A", "local/serve.ts"],
  cwd: root,
  env: {
    ...Deno.env.toObject(),
    DATABASE_URL: dbUrl,
    SUPABASE_SERVICE_ROLE_KEY: "sy_service_bench_key_0123456789abcdef",
    UPSTASH_REDIS_REST_URL: bridge.url,
    UPSTASH_REDIS_REST_TOKEN: bridge.token,
    SWITCHYARD_PORT: String(port),
    INGEST_TENANT_RATE: "10000000",
    INGEST_IP_RATE: "1000000",
    LOG_LEVEL: "warn",
  },
  output: "inherit",
});
const rows: Record<string, string | number>[] = [];
try {
  await waitForPort(port);
  const bodies = batches.map((b) => JSON.stringify(b));
  const url = `http://127.0.0.1:${port}/functions/v1/api/events`;
  const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
  // Warm-up: connections, the auth cache, JIT.
  for (let i = 0; i < 20; i++) {
    await (await fetch(url, { method: "POST", headers, body: bodies[i % bodies.length] })).body
      ?.cancel();
  }
  await emptyLog();

  let refused = 0;
  const http = await drive(async (i) => {
    const res = await fetch(url, { method: "POST", headers, body: bodies[i] });
    const body = await res.json();
    if (res.status !== 202) {
      refused++;
      return 0;
    }
    return body.accepted.length;
  });
  const [{ count: stored }] = await sql<
    { count: number }[]
  >`select count(*)::int as count from switchyard.events`;
  if (stored !== http.events || refused) {
    throw new Error(
      `HTTP accepted ${http.events} events but ${stored} are stored; ${refused} refused`,
    );
  }
  rows.push({
    path: "HTTP POST /api/events",
    "events/s": Math.round(http.eventsPerSec),
    "batch p50 ms": http.latency.p50,
    "batch p99 ms": http.latency.p99,
    batches: http.latency.n,
  });
} finally {
  await functions.stop();
  await bridge.stop();
}

// 2. Straight SQL through the one append path, same batches as the handler sends them.
const appendBatches = batches.map((b) =>
  JSON.stringify(b.map((e) => ({
    tenant,
    type: e.type,
    entity_type: (e.entity as { type: string }).type,
    entity_id: (e.entity as { id: string }).id,
    occurred_at: null,
    dedup_key: null,
    expected_version: null,
    correlation_id: "bench",
    causation_id: null,
    data: e.data,
    metadata: e.metadata,
  })))
);
await emptyLog();
const raw = await drive(async (i) => {
  const r = await sql.unsafe(
    "select id, version, duplicate from switchyard.append_events($1::text::jsonb)",
    [appendBatches[i]],
  );
  return r.length;
});
rows.push({
  path: "SQL append_events()",
  "events/s": Math.round(raw.eventsPerSec),
  "batch p50 ms": raw.latency.p50,
  "batch p99 ms": raw.latency.p99,
  batches: raw.latency.n,
});

// 3. A plain multi-row INSERT of the same rows (each its own entity at version 1): the floor cost.
await emptyLog();
const plain = await drive(async (i) => {
  const r = await sql.unsafe(
    `
    insert into switchyard.events (tenant, type, entity_type, entity_id, version, occurred_at, correlation_id, data, metadata)
    select x.tenant, x.type, x.entity_type, x.entity_id || '-' || gen_random_uuid(), 1, now(), x.correlation_id, x.data, x.metadata
    from jsonb_to_recordset($1::text::jsonb) as x(tenant text, type text, entity_type text, entity_id text, correlation_id text, data jsonb, metadata jsonb)
    returning id`,
    [appendBatches[i]],
  );
  return r.length;
});
rows.push({
  path: "SQL plain INSERT",
  "events/s": Math.round(plain.eventsPerSec),
  "batch p50 ms": plain.latency.p50,
  "batch p99 ms": plain.latency.p99,
  batches: plain.latency.n,
});

await sql.end();
const cleanup = postgres(env("SWITCHYARD_TEST_PG_URL"), { max: 1, onnotice: () => {} });
await cleanup.unsafe(`drop database ${dbName} with (force)`);
await cleanup.end();

const httpRate = Number(rows[0]["events/s"]);
const ratios = {
  "HTTP / append_events": httpRate / raw.eventsPerSec,
  "HTTP / plain INSERT": httpRate / plain.eventsPerSec,
  "append_events / plain INSERT": raw.eventsPerSec / plain.eventsPerSec,
};
console.log(
  `\ningest: ${CLIENTS} clients, batches of ${BATCH}, ${SECONDS} s per phase, durable commits`,
);
await report("ingest", rows, {
  clients: CLIENTS,
  batch: BATCH,
  seconds: SECONDS,
  ratios,
  medianBatchMs: median(rows.map((r) => Number(r["batch p50 ms"]))),
  figures: [{
    what: "functions alone: HTTP ingest",
    value: Math.round(httpRate),
    unit: "events/s",
    beside: { what: "append_events()", value: Math.round(raw.eventsPerSec) },
    target: ">= 0.70 of append_events",
    met: ratios["HTTP / append_events"] >= 0.7,
  }, {
    what: "append_events()",
    value: Math.round(raw.eventsPerSec),
    unit: "events/s",
    beside: { what: "plain INSERT", value: Math.round(plain.eventsPerSec) },
  }],
});
for (const [k, v] of Object.entries(ratios)) console.log(`${k}: ${v.toFixed(2)}`);
console.log(
  `target: >= 20000 events/s over HTTP (${
    httpRate >= 20_000 ? "met" : "NOT met"
  }), >= 0.70 of append_events (${ratios["HTTP / append_events"] >= 0.7 ? "met" : "NOT met"})`,
);
