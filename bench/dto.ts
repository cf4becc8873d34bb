/**
 * `npm run bench -- dto`: DTO read latency over HTTP under concurrent load, from the primary and
 * (Redis gone, breaker open) from the secondary; composition throughput with and without coalescing.
 *   --seconds=N  per read phase (default 10)   --clients=N (default 16)   --events=N (default 4000)
 */
import { client, seedTenant, startStack } from "../tests/harness.ts";
import { loggedEvents, relay, seedBank } from "../tests/dto_fixtures.ts";
import { report, summarize } from "./stats.ts";

const arg = (name: string, fallback: number) =>
  Number(Deno.args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);
const seconds = arg("seconds", 10);
const clients = arg("clients", 16);
const eventCount = arg("events", 4_000);
const CUSTOMERS = 1_000;

async function readLoad(api: ReturnType<typeof client>, expected: string) {
  const latencies: number[] = [];
  let wrongSource = 0;
  const until = performance.now() + seconds * 1_000;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (performance.now() < until) {
      const key = `c${1 + Math.floor(Math.random() * CUSTOMERS)}`;
      const started = performance.now();
      const res = await api("GET", `/dto/customer_position/${key}`);
      latencies.push(performance.now() - started);
      if (res.status !== 200 || res.headers.get("x-switchyard-source") !== expected) wrongSource++;
    }
  }));
  const s = summarize(latencies);
  rows.push({
    measure: `read from ${expected}`,
    clients,
    seconds,
    requests: s.n,
    "req/s": s.n / seconds,
    p50_ms: s.p50,
    p99_ms: s.p99,
    max_ms: s.max,
    other_source: wrongSource,
  });
}

const stack = await startStack({ example: "bank" });
const { sql } = stack.db;
const rows: Record<string, string | number>[] = [];
const extra: Record<string, unknown> = {};
let bridgeStopped = false;
try {
  const reader = await seedTenant(sql, "bench-reads");
  await seedBank(sql, reader.slug, { customers: CUSTOMERS, accounts: 2 });
  await relay(stack.ctx, reader.slug)();
  const api = client(`${stack.base}/api`, reader.key);

  // Composition: the same burst shape for two fresh tenants, one coalesced, one a write per event.
  for (const coalesce of [true, false]) {
    const tenant = (await seedTenant(sql, coalesce ? "bench-coalesced" : "bench-per-event")).slug;
    await seedBank(sql, tenant, { customers: 100, accounts: 2 });
    const pump = relay(stack.ctx, tenant, 500);
    await pump();
    const rounds = Math.ceil(eventCount / 200);
    for (let i = 0; i < rounds; i++) {
      await sql`update bank.balances set available = available + 1, updated_at = now() where tenant_id = ${tenant}`;
    }
    const pending = (await loggedEvents(sql, tenant)).filter((e) =>
      e.type === "balance.updated"
    ).length;
    const started = performance.now();
    const r = await pump({ coalesce });
    const secs = (performance.now() - started) / 1_000;
    rows.push({
      measure: `compose ${coalesce ? "coalesced (batches of 500)" : "one write per event"}`,
      events: r.events,
      writes: r.writes,
      seconds: secs,
      "events/s": r.events / secs,
      failed: r.failed,
    });
    extra[coalesce ? "coalesced" : "perEvent"] = {
      events: r.events,
      pending,
      writes: r.writes,
      seconds: secs,
      eventsPerSecond: r.events / secs,
    };
  }
  const c = extra.coalesced as { eventsPerSecond: number };
  const p = extra.perEvent as { eventsPerSecond: number };
  extra.coalescingSpeedup = c.eventsPerSecond / p.eventsPerSecond;

  await readLoad(api, "primary");
  await stack.bridge!.stop();
  bridgeStopped = true;
  for (let i = 0; i < 10 && stack.ctx.breakers.store.state === "closed"; i++) {
    await api("GET", "/dto/customer_position/c1");
  }
  await readLoad(api, "secondary");

  await report("dto", rows, extra);
  console.log(`coalescing speed-up: ${(extra.coalescingSpeedup as number).toFixed(1)}× events/s`);
} finally {
  if (bridgeStopped && stack.bridge) stack.bridge.stop = () => Promise.resolve();
  await stack.close();
}
