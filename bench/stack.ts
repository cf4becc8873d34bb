/**
 * `npm run bench -- stack`: the topology users run. `npm start`'s processes (local/start.ts) on
 * their own ports and state folder, with events flowing end to end (accepted → relayed → routed →
 * delivered to a real Node receiver), and each figure beside its ceiling measured in the same run:
 *
 *   ingest       HTTP POST /api/events (wrk, 8 connections, batches of 100) for BENCH_SECONDS (60)
 *                beside a raw multi-row INSERT into an event-shaped table; the relay's hand-over
 *                rate beside it; CPU per process from /proc/<pid>/stat
 *   end to end   commit (202) → webhook arrival at a steady 500 events/s
 *   receiver     the receiver's own request rate under wrk: what any delivery rate is capped by
 *   fast store   GET through the Upstash REST bridge (raw HTTP and @upstash/redis) beside a direct
 *                RESP GET: what the bridge costs
 *   DTO reads    GET /api/dto from the primary beside the secondary (bridge stopped with SIGSTOP)
 *   CLI          `switchyard --version` and `switchyard status` against this stack
 *
 * `--seconds=N` or BENCH_SECONDS=N shortens every phase (ceilings and reads take at most 10 s).
 */
import { Redis } from "@upstash/redis";
import { benchSeconds, type Figure, report, summarize } from "./stats.ts";
import { startUserStack } from "./lib/user-stack.ts";
import { cpuPercent, descendants, processName, sampleCpu } from "./lib/procs.ts";
import { load, onPath } from "./lib/load.ts";
import { orderBatches } from "./lib/events.ts";
import { RespPool } from "../local/resp.ts";
import { seedBank } from "../tests/dto-fixtures.ts";
import { createSql } from "../functions/_shared/db.ts";
import { sleep } from "../functions/_shared/clock.ts";

const SECONDS = benchSeconds(60);
const PHASE = Math.min(10, SECONDS);
const CLIENTS = 8;
const BATCH = 100;
const READERS = 16;
const STEADY_RATE = 500;
const CUSTOMERS = 1_000;
const root = new URL("..", import.meta.url).pathname;

const epochNow = () => performance.timeOrigin + performance.now();

const rows: Record<string, string | number>[] = [];
const figures: Figure[] = [];
const extra: Record<string, unknown> = { seconds: SECONDS, phaseSeconds: PHASE };

// The bank example brings the DTO types (and their tables) the read phase uses.
const stack = await startUserStack(["--example", "bank"]);
const { env } = stack;
const sql = createSql(env.DATABASE_URL, { max: CLIENTS + 2 });
const tenant = env.SWITCHYARD_DEMO_TENANT;
const key = env.SWITCHYARD_DEMO_API_KEY;
const receiver = new Deno.Command("node", {
  args: [`${root}bench/lib/receiver.mjs`],
  stdout: "piped",
  stderr: "inherit",
}).spawn();
try {
  const receiverUrl = await (async () => {
    const reader = receiver.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const { value } = await reader.read();
    reader.releaseLock();
    return `http://127.0.0.1:${value!.trim()}`;
  })();
  const receiverStats = async () =>
    (await (await fetch(`${receiverUrl}/stats`)).json() as { count: number }).count;
  const resetReceiver = async (record: boolean) =>
    await (await fetch(`${receiverUrl}/reset${record ? "?record=1" : ""}`, { method: "POST" }))
      .text();

  // A webhook for one event type in a hundred during ingest, and for every steady-phase event.
  const admin = { authorization: `Bearer ${env.SUPABASE_SERVICE_ROLE_KEY}` };
  const created = await fetch(`${stack.base}/admin/endpoints`, {
    method: "POST",
    headers: { ...admin, "content-type": "application/json" },
    body: JSON.stringify({ tenant, url: `${receiverUrl}/hooks`, events: ["order.confirmed"] }),
  });
  if (!created.ok) throw new Error(`endpoint not created: ${await created.text()}`);

  // The same 64 batches for every phase; entities spread so concurrent batches rarely share one.
  const batches = orderBatches({ size: BATCH, entities: 50_000, confirmedEvery: BATCH });

  // 1. Ceiling: a raw multi-row INSERT of the same rows into an event-shaped table, same batches
  // and concurrency, same durable Postgres, with the stack running beside it.
  await sql.unsafe(`
    create schema if not exists bench_ceiling;
    drop table if exists bench_ceiling.events;
    create table bench_ceiling.events (
      seq bigint generated always as identity primary key,
      id text not null default ('evt_' || replace(gen_random_uuid()::text, '-', '')),
      tenant text not null, type text not null, entity_type text not null, entity_id text not null,
      version integer not null, occurred_at timestamptz not null,
      recorded_at timestamptz not null default now(), dedup_key text, correlation_id text,
      causation_id text, data jsonb not null default '{}', metadata jsonb not null default '{}');
    create unique index on bench_ceiling.events (id);
    create index on bench_ceiling.events (tenant, entity_type, entity_id);`);
  const rawBatches = batches.map((b) =>
    JSON.stringify(b.map((e) => ({
      tenant,
      type: e.type,
      entity_type: e.entity.type,
      entity_id: e.entity.id,
      data: e.data,
      metadata: e.metadata,
    })))
  );
  let rawRows = 0;
  const rawLatency: number[] = [];
  const rawStarted = performance.now();
  let nextBatch = 0;
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    while (performance.now() < rawStarted + PHASE * 1000) {
      const t = performance.now();
      const r = await sql.unsafe(
        `insert into bench_ceiling.events (tenant, type, entity_type, entity_id, version, occurred_at, correlation_id, data, metadata)
         select x.tenant, x.type, x.entity_type, x.entity_id, 1, now(), 'bench', x.data, x.metadata
         from jsonb_to_recordset($1::text::jsonb) as x(tenant text, type text, entity_type text, entity_id text, data jsonb, metadata jsonb)
         returning seq`,
        [rawBatches[nextBatch++ % rawBatches.length]],
      );
      rawRows += r.length;
      rawLatency.push(performance.now() - t);
    }
  }));
  const rawRate = rawRows / ((performance.now() - rawStarted) / 1000);
  await sql`drop schema bench_ceiling cascade`;
  const rawS = summarize(rawLatency);
  rows.push({
    phase: "ceiling: raw INSERT, event-shaped table",
    "per s": Math.round(rawRate),
    "p50 ms": rawS.p50,
    "p99 ms": rawS.p99,
    seconds: PHASE,
  });

  // 2. Ingest over HTTP on the running stack, the relay, pipeline and deliveries working beside it.
  const countOrders = async () =>
    Number(
      (await sql`select count(*)::bigint as n from switchyard.events where tenant = ${tenant} and type like 'order.%'`)[
        0
      ]
        .n,
    );
  const handedOver = async () =>
    Number(
      (await sql`select coalesce(sum(handed_over), 0)::bigint as n from switchyard.relay_state`)[0]
        .n,
    );
  await resetReceiver(false);
  const ordersBefore = await countOrders();
  const handedBefore = await handedOver();
  const pids = [stack.pid, ...descendants(stack.pid)];
  const cpuBefore = sampleCpu(pids);
  const ingestStarted = performance.now();
  const ingest = await load({
    url: `${stack.base}/api/events`,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    bodies: batches.map((b) => JSON.stringify(b)),
    connections: CLIENTS,
    seconds: SECONDS,
  });
  const ingestSeconds = (performance.now() - ingestStarted) / 1000;
  const cpuAfter = sampleCpu([stack.pid, ...descendants(stack.pid)]);
  const accepted = (await countOrders()) - ordersBefore;
  const handedDuring = (await handedOver()) - handedBefore;
  const backlogAtEnd = Math.max(0, accepted - handedDuring);
  // The relay drains what was left; deliveries (one per batch) arrive.
  const drainStarted = performance.now();
  while ((await handedOver()) - handedBefore < accepted) {
    if (performance.now() - drainStarted > 300_000) break;
    await sleep(100);
  }
  const drainSeconds = (performance.now() - drainStarted) / 1000;
  const expectedDeliveries = accepted / BATCH;
  const deliverStarted = performance.now();
  while ((await receiverStats()) < expectedDeliveries) {
    if (performance.now() - deliverStarted > 300_000) break;
    await sleep(100);
  }
  const delivered = await receiverStats();
  const [{ deliveries, attempts }] = await sql<{ deliveries: number; attempts: number }[]>`
    select (select count(*)::int from switchyard.deliveries) as deliveries,
      (select count(*)::int from switchyard.delivery_attempts) as attempts`;
  const ingestRate = accepted / ingestSeconds;
  const relayRate = handedDuring / ingestSeconds;
  rows.push({
    phase: `ingest: HTTP POST /api/events (${ingest.tool}, ${CLIENTS} conns, batches of ${BATCH})`,
    "per s": Math.round(ingestRate),
    "p50 ms": ingest.p50,
    "p99 ms": ingest.p99,
    seconds: Math.round(ingestSeconds),
    failed: ingest.failed,
  });
  rows.push({
    phase: "ingest: relay handed over meanwhile",
    "per s": Math.round(relayRate),
    "backlog at end": backlogAtEnd,
    "drain s": drainSeconds,
  });
  rows.push({
    phase: "ingest: webhooks delivered (1 per batch)",
    "per s": Math.round(delivered / (ingestSeconds + drainSeconds)),
    delivered,
    expected: expectedDeliveries,
    "delivery rows": deliveries,
    attempts,
  });
  const cpu = cpuPercent(cpuBefore, cpuAfter, ingestSeconds);
  extra.cpuPercentDuringIngest = cpu;
  figures.push({
    what: "whole-stack ingest, events/s",
    value: Math.round(ingestRate),
    unit: "events/s",
    beside: { what: "raw INSERT rows/s", value: Math.round(rawRate) },
    target: ">= 0.5× the raw insert",
    met: ingestRate >= 0.5 * rawRate && ingest.failed === 0,
  });
  figures.push({
    what: "relay hand-over during ingest",
    value: Math.round(relayRate),
    unit: "events/s",
    beside: { what: "ingest events/s", value: Math.round(ingestRate) },
    target: "keeps up: backlog at end < 1 s of ingest",
    met: backlogAtEnd < ingestRate,
  });

  // 3. End to end at a steady 500 events/s: 202 (committed) → first arrival at the receiver.
  await resetReceiver(true);
  const committedAt = new Map<string, number>();
  const perTick = STEADY_RATE / 50;
  const ticks = PHASE * 50;
  const steadyStarted = performance.now();
  const inFlight: Promise<void>[] = [];
  let tickOffset = 0;
  for (let t = 0; t < ticks; t++) {
    const wait = steadyStarted + t * 20 - performance.now();
    if (wait > 0) await sleep(wait);
    const base = tickOffset;
    tickOffset += perTick;
    inFlight.push((async () => {
      const res = await fetch(`${stack.base}/api/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify(Array.from({ length: perTick }, (_, i) => ({
          type: "order.confirmed",
          entity: { type: "order", id: `steady-${base + i}` },
          data: { total: 42 },
        }))),
      });
      const at = epochNow();
      const body = await res.json() as { accepted?: { id: string }[] };
      for (const a of body.accepted ?? []) committedAt.set(a.id, at);
    })());
  }
  await Promise.all(inFlight);
  const steadyDeadline = performance.now() + 120_000;
  let arrivals: Record<string, number> = {};
  while (performance.now() < steadyDeadline) {
    arrivals = await (await fetch(`${receiverUrl}/arrivals`)).json();
    if ([...committedAt.keys()].every((id) => arrivals[id] !== undefined)) break;
    await sleep(200);
  }
  const e2e = summarize(
    [...committedAt].filter(([id]) => arrivals[id] !== undefined).map(([id, t0]) =>
      arrivals[id] - t0
    ),
  );
  rows.push({
    phase: `end to end: ${STEADY_RATE} events/s, 202 → webhook arrival`,
    "per s": Math.round(committedAt.size / PHASE),
    "p50 ms": e2e.p50,
    "p99 ms": e2e.p99,
    "max ms": e2e.max,
    missing: committedAt.size - e2e.n,
  });
  figures.push({
    what: `commit → delivered p99 at ${STEADY_RATE} events/s`,
    value: e2e.p99,
    unit: "ms",
    target: "< 100 ms",
    met: e2e.p99 < 100 && e2e.n === committedAt.size,
  });

  // 4. The receiver's own rate: no delivery path can beat it on this machine.
  await resetReceiver(false);
  const envelope = JSON.stringify({
    id: "evt_ceiling",
    type: "order.confirmed",
    data: { total: 42 },
  });
  const own = await load({
    url: `${receiverUrl}/hooks`,
    method: "POST",
    headers: { "content-type": "application/json" },
    bodies: [envelope],
    connections: 32,
    seconds: PHASE,
  });
  rows.push({
    phase: `ceiling: the Node receiver alone (${own.tool}, 32 conns)`,
    "per s": Math.round(own.perSecond),
    "p50 ms": own.p50,
    "p99 ms": own.p99,
    seconds: PHASE,
  });
  figures.push({
    what: "receiver's own request rate (ceiling for deliveries)",
    value: Math.round(own.perSecond),
    unit: "req/s",
  });

  // 5. The fast store: a GET direct to Redis, through the bridge over raw HTTP, and through the
  // @upstash/redis client the functions use (auto-pipelining on, its default, and off).
  const bridgePid = descendants(stack.pid).find((p) => processName(p) === "bridge");
  const redisPort = (() => {
    for (const pid of descendants(stack.pid)) {
      if (processName(pid) !== "redis") continue;
      // redis-server retitles itself "redis-server 127.0.0.1:<port>".
      const title = Deno.readTextFileSync(`/proc/${pid}/cmdline`).replaceAll("\0", " ");
      const port = /:(\d+)/.exec(title)?.[1] ?? /--port (\d+)/.exec(title)?.[1];
      if (port) return Number(port);
    }
    return undefined;
  })();
  const storeUrl = env.UPSTASH_REDIS_REST_URL;
  const storeToken = env.UPSTASH_REDIS_REST_TOKEN;
  if (redisPort && storeUrl && storeToken) {
    const value = JSON.stringify({ version: 1, value: { data: { x: "y".repeat(300) } } });
    const pool = new RespPool({ port: redisPort });
    await pool.send([["SET", "bench:get", value]]);
    const readers = async (label: string, get: () => Promise<unknown>) => {
      const r = await cpuPerRequest(async () => {
        const lat: number[] = [];
        const until = performance.now() + PHASE * 1000;
        await Promise.all(Array.from({ length: READERS }, async () => {
          while (performance.now() < until) {
            const t = performance.now();
            await get();
            lat.push(performance.now() - t);
          }
        }));
        return { ...summarize(lat), requests: lat.length };
      });
      rows.push({
        phase: `fast store: ${label} (${READERS} clients)`,
        "per s": Math.round(r.n / PHASE),
        "p50 ms": r.p50,
        "p99 ms": r.p99,
        seconds: PHASE,
        ...cpuColumns(r.cpuUs),
      });
      return r;
    };
    const direct = await readers(
      "GET direct to Redis (RESP)",
      () => pool.send([["GET", "bench:get"]]),
    );
    const rest = await readers("GET through the bridge, raw HTTP", async () => {
      const res = await fetch(`${storeUrl}/pipeline`, {
        method: "POST",
        headers: { authorization: `Bearer ${storeToken}`, "content-type": "application/json" },
        body: JSON.stringify([["GET", "bench:get"]]),
      });
      await res.arrayBuffer();
    });
    for (const auto of [true, false]) {
      const client = new Redis({
        url: storeUrl,
        token: storeToken,
        automaticDeserialization: false,
        enableTelemetry: false,
        enableAutoPipelining: auto,
      });
      await readers(
        `GET through @upstash/redis, auto-pipelining ${auto ? "on" : "off"}`,
        () => client.get("bench:get"),
      );
    }
    await pool.close();
    figures.push({
      what: "Redis GET through the bridge, p50",
      value: rest.p50,
      unit: "ms",
      beside: { what: "direct p50 ms", value: direct.p50 },
    });
  } else rows.push({ phase: "fast store: skipped (no redis-server behind a bridge)" });

  // 6. DTO reads from the primary, then from the secondary with the bridge stopped (SIGSTOP).
  let dtoSeeded = false;
  try {
    // The example's schema is applied once the stack is up.
    for (let i = 0; i < 600; i++) {
      const [{ ready }] = await sql<{ ready: boolean }[]>`
        select to_regclass('bank.customers') is not null as ready`;
      if (ready) break;
      await sleep(100);
    }
    await seedBank(sql, tenant, { customers: CUSTOMERS, accounts: 2, prefix: "bc" });
    dtoSeeded = true;
  } catch (err) {
    rows.push({ phase: `DTO reads: skipped (${(err as Error).message.slice(0, 80)})` });
  }
  if (dtoSeeded) {
    const composed = async () =>
      Number(
        (await sql`select count(*)::int as n from switchyard.dto_snapshots where tenant = ${tenant} and dto_type = 'customer_position' and key like 'bc%'`)[
          0
        ]
          .n,
      );
    const until = performance.now() + 120_000;
    while ((await composed()) < CUSTOMERS && performance.now() < until) await sleep(200);
    const paths = Array.from(
      { length: 4096 },
      () =>
        `/functions/v1/api/dto/customer_position/bc${1 + Math.floor(Math.random() * CUSTOMERS)}`,
    );
    const headers = { authorization: `Bearer ${key}` };
    // A new connection each time, so the kernel spreads these over every functions process: the
    // secondary phase waits until each of them reads from the secondary (its breaker open).
    const fresh: RequestInit & { client: Deno.HttpClient } = {
      headers,
      client: Deno.createHttpClient({ poolMaxIdlePerHost: 0 }),
    };
    const source = async () => {
      const r = await fetch(`${stack.base}/api/dto/customer_position/bc1`, fresh);
      await r.body?.cancel();
      return r.headers.get("x-switchyard-source");
    };
    // Warm: every key once, so each is in the primary.
    for (let i = 1; i <= CUSTOMERS; i += 50) {
      await Promise.all(
        Array.from(
          { length: 50 },
          (_, j) =>
            fetch(`${stack.base}/api/dto/customer_position/bc${i + j}`, { headers }).then((r) =>
              r.body?.cancel()
            ),
        ),
      );
    }
    const read = async (expected: string) => {
      const r = await cpuPerRequest(() =>
        load({ url: stack.base, headers, paths, connections: READERS, seconds: PHASE })
      );
      rows.push({
        phase: `DTO reads from the ${expected} (${r.tool}, ${READERS} conns)`,
        "per s": Math.round(r.perSecond),
        "p50 ms": r.p50,
        "p99 ms": r.p99,
        seconds: PHASE,
        failed: r.failed,
        ...cpuColumns(r.cpuUs),
      });
      extra[`dtoCpuUsPerRequest_${expected}`] = r.cpuUs;
      return r;
    };
    const primary = await read("primary");
    const primarySource = await source();
    let secondary: Awaited<ReturnType<typeof read>> | undefined;
    if (bridgePid) {
      Deno.kill(bridgePid, "SIGSTOP");
      try {
        // Until every instance's breaker opened and reads come from Postgres at once.
        let streak = 0;
        const deadline = performance.now() + 60_000;
        while (streak < 50 && performance.now() < deadline) {
          const t = performance.now();
          streak = (await source()) === "secondary" && performance.now() - t < 100 ? streak + 1 : 0;
        }
        secondary = await read("secondary");
      } finally {
        Deno.kill(bridgePid, "SIGCONT");
      }
    }
    figures.push({
      what: `DTO read p99 from the primary (${READERS} clients)`,
      value: primary.p99,
      unit: "ms",
      beside: secondary ? { what: "secondary p99 ms", value: secondary.p99 } : undefined,
      target: "< 5 ms and below the secondary",
      met: primary.p99 < 5 && primarySource === "primary" &&
        (!secondary || primary.p99 < secondary.p99),
    });
  }

  // 7. The CLI a person types into: --version, and a command against this stack.
  const cliEnv = {
    SUPABASE_URL: env.SUPABASE_URL,
    SUPABASE_SERVICE_ROLE_KEY: env.SUPABASE_SERVICE_ROLE_KEY,
  };
  for (
    const [label, args, target] of [
      ["switchyard --version", ["--version"], 300],
      ["switchyard status (this stack)", ["status"], 500],
    ] as const
  ) {
    const ms = await timeCommand("node", [`${root}cli/bin/run.js`, ...args], cliEnv);
    rows.push({ phase: `CLI: ${label} (${ms.tool})`, "p50 ms": ms.median, "min ms": ms.min });
    figures.push({
      what: `CLI ${label}, median`,
      value: ms.median,
      unit: "ms",
      target: `< ${target} ms`,
      met: ms.median < target,
    });
  }

  console.log(
    `\nstack: npm start's processes, ${SECONDS} s ingest, ${PHASE} s other phases, durable commits`,
  );
  await report("stack", rows, { ...extra, figures });
  console.log("\nCPU during ingest, % of one core:");
  for (const [name, pct] of Object.entries(cpu).sort((a, b) => b[1] - a[1])) {
    console.log(`  ${name.padEnd(32)} ${pct.toFixed(0)}%`);
  }
  console.log(
    `  (the load generator: ${ingest.tool}; machine load average ${
      Deno.loadavg().map((l) => l.toFixed(1)).join(" ")
    } on ${navigator.hardwareConcurrency} cores)`,
  );
} finally {
  await sql.end({ timeout: 1 });
  try {
    receiver.kill("SIGTERM");
  } catch { /* gone */ }
  await receiver.status;
  await stack.stop();
}

/** CPU µs per request of each process of the stack while `run` makes `requests` of them. */
async function cpuPerRequest<T extends { requests: number }>(
  run: () => Promise<T>,
): Promise<T & { cpuUs: Record<string, number> }> {
  const pids = [stack.pid, ...descendants(stack.pid)];
  const before = sampleCpu(pids);
  const started = performance.now();
  const result = await run();
  const seconds = (performance.now() - started) / 1000;
  const pct = cpuPercent(before, sampleCpu(pids), seconds);
  const cpuUs: Record<string, number> = {};
  for (const [name, p] of Object.entries(pct)) {
    const us = (p / 100) * seconds * 1e6 / Math.max(1, result.requests);
    if (us >= 1) cpuUs[name] = Math.round(us);
  }
  return { ...result, cpuUs };
}

/** The biggest CPU users per request, as one cell: "functions 120, bridge 80, …". */
function cpuColumns(cpuUs: Record<string, number>) {
  return {
    "CPU µs/request": Object.entries(cpuUs).sort((a, b) => b[1] - a[1]).slice(0, 4)
      .map(([k, v]) => `${k} ${v}`).join(", "),
  };
}

/** Median and minimum wall time of a command: hyperfine when installed, else 10 timed runs. */
async function timeCommand(cmd: string, args: string[], env: Record<string, string>) {
  if (onPath("hyperfine")) {
    const out = `${await Deno.makeTempDir()}/hyperfine.json`;
    const line = [cmd, ...args].map((a) => `'${a}'`).join(" ");
    const envPrefix = Object.entries(env).map(([k, v]) => `${k}='${v}'`).join(" ");
    const r = await new Deno.Command("hyperfine", {
      args: ["-N", "-w", "2", "-r", "10", "-i", "--export-json", out, `env ${envPrefix} ${line}`],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (r.success) {
      const { results: [res] } = JSON.parse(await Deno.readTextFile(out));
      return { tool: "hyperfine", median: res.median * 1000, min: res.min * 1000 };
    }
  }
  const times: number[] = [];
  for (let i = 0; i < 12; i++) {
    const t = performance.now();
    await new Deno.Command(cmd, { args, env, stdout: "null", stderr: "null" }).output();
    if (i >= 2) times.push(performance.now() - t);
  }
  const s = summarize(times);
  return { tool: "spawn", median: s.p50, min: Math.min(...times) };
}
