/**
 * `npm run bench -- dto`: DTO composition throughput with and without coalescing (`--events=N`,
 * default 4000; fewer in short mode). Read latency is measured where it means something, on
 * `npm start`'s processes (bench/stack.ts): measured here, the load loops, the functions and the
 * REST bridge shared one event loop, so the primary's two extra hops waited behind the load itself
 * while the secondary's work ran in Postgres' own processes.
 */
import { seedTenant, startStack } from "../tests/harness.ts";
import { loggedEvents, relay, seedBank } from "../tests/dto-fixtures.ts";
import { benchCount, type Figure, report } from "./stats.ts";

const arg = (name: string, fallback: number) =>
  Number(Deno.args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);
const eventCount = arg("events", benchCount(4_000, 30, 400));

const stack = await startStack({ example: "bank" });
const { sql } = stack.db;
const rows: Record<string, string | number>[] = [];
const extra: Record<string, unknown> = {};
try {
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

  const figures: Figure[] = [{
    what: "DTO composition, coalesced",
    value: Math.round(c.eventsPerSecond),
    unit: "events/s",
    beside: { what: "a write per event", value: Math.round(p.eventsPerSecond) },
  }];
  await report("dto", rows, { ...extra, figures });
  console.log(`coalescing speed-up: ${(extra.coalescingSpeedup as number).toFixed(1)}× events/s`);
} finally {
  await stack.close();
}
