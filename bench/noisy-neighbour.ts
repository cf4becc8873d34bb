/**
 * `npm run bench -- noisy-neighbour`: a healthy endpoint's commit→delivered p50/p99 at a steady
 * rate, alone and then beside three bad neighbours receiving the same rate: one that sleeps past
 * its timeout, one that always answers 500, one that blips (503 for 2 s in every 5 s). The stack
 * runs as deployed: routing then the instance's deliveries started (the pipeline's hand-over), the
 * scheduler's deliveries job waking the served functions for retries. Alone and beside alternate
 * for BENCH_NOISY_ROUNDS rounds (default 5), after a warm-up of both, each round with new neighbours that are deleted after
 * it (their backlog cancelled), so both sides see the same machine. Target: beside them, the
 * healthy endpoint's median p99 stays within 2× of its median p99 alone.
 */
import { testDatabase } from "../tests/harness.ts";
import { benchContext } from "./lib/context.ts";
import { createTenant } from "../functions/_shared/tenants.ts";
import type { Sql } from "../functions/_shared/db.ts";
import { appendEvents } from "../functions/_shared/events/append.ts";
import { envelopeSelect, type EventRow, rowToEvent } from "../functions/_shared/events/envelope.ts";
import { routeEvents } from "../functions/_shared/delivery/route.ts";
import { createEndpoint, deleteEndpoint } from "../functions/_shared/delivery/endpoints.ts";
import { endpointInputSchema } from "../functions/_shared/delivery/endpoint-schema.ts";
import { deliverDue, inBackground, stopDeliveries } from "../functions/_shared/pipeline/deliver.ts";
import { createDeliveriesJob } from "../workers/scheduler/jobs/deliveries.ts";
import { runJobs } from "../workers/scheduler/runner.ts";
import { serveFunctions } from "../local/serve.ts";
import { freePort } from "../local/ports.ts";
import { benchSeconds, median, report, summarize } from "./stats.ts";
import { sleep } from "../functions/_shared/clock.ts";
import { epochNow, serveReceiver, spawnReceiver } from "./lib/receiver.ts";

const RATE = Number(Deno.env.get("BENCH_NOISY_RATE") ?? 100); // events/s per endpoint
const SECONDS = Number(Deno.env.get("BENCH_NOISY_SECONDS") ?? benchSeconds(15));
const NEIGHBOURS = (Deno.env.get("BENCH_NOISY_NEIGHBOURS") ?? "slow,failing,blipping").split(",");
const ROUNDS = Number(Deno.env.get("BENCH_NOISY_ROUNDS") ?? 5);

// The receivers run in their own process (`--receiver`), as target systems would.
if (Deno.args[0] === "--receiver") {
  await serveReceiver(async (path) => {
    if (path === "/slow") {
      await sleep(3_000); // its endpoint times out after 1 s
      return new Response("late");
    }
    if (path === "/failing") return new Response("boom", { status: 500 });
    if (path === "/blipping" && Date.now() % 5_000 < 2_000) {
      return new Response("blip", { status: 503 });
    }
    return null;
  });
}

const receiver = await spawnReceiver(import.meta.url);
const receiverUrl = receiver.url;

const db = await testDatabase();
const port = freePort();
const ctx = benchContext(db.url, { SUPABASE_URL: `http://127.0.0.1:${port}` });
const server = serveFunctions(ctx, port);
const scheduler = runJobs(ctx, [createDeliveriesJob()]);

async function appendFor(sql: Sql, target: string, n: number, offset: number) {
  const appended = await appendEvents(
    sql,
    Array.from({ length: n }, (_, i) => ({
      tenant: "bench",
      type: `${target}.happened`,
      entity: { type: target, id: `${target}-${offset + i}` },
      data: { n: offset + i },
    })),
  );
  const rows = await sql<EventRow[]>`select ${sql.unsafe(envelopeSelect)} from switchyard.events e
    where e.id = any(${appended.map((a) => a.id)}::text[]) order by e.seq`;
  return rows.map(rowToEvent);
}

/** RATE events/s to each of `targets` in 20 ms ticks; answers the healthy endpoint's latencies. */
async function steady(targets: readonly string[], seconds = SECONDS) {
  await fetch(`${receiverUrl}/reset`).then((r) => r.body?.cancel());
  const perTick = Math.max(1, Math.round(RATE / 50));
  const committedAt = new Map<string, number>();
  const begin = performance.now();
  const work: Promise<void>[] = [];
  let offset = Math.floor(Math.random() * 1_000_000_000);
  for (let t = 0; t < seconds * 50; t++) {
    const wait = begin + t * 20 - performance.now();
    if (wait > 0) await sleep(wait);
    const at = offset;
    offset += perTick;
    work.push((async () => {
      const events = (await Promise.all(targets.map((x) => appendFor(ctx.sql, x, perTick, at))))
        .flat();
      const t0 = epochNow();
      await ctx.sql.begin((tx) => routeEvents(tx, events));
      inBackground(ctx, "delivering", deliverDue(ctx));
      for (const e of events) if (e.entity.type === "healthy") committedAt.set(e.id, t0);
    })());
  }
  await Promise.all(work);
  const deadline = Date.now() + 120_000;
  let arrivals: Record<string, number> = {};
  while (Date.now() < deadline) {
    arrivals = await (await fetch(`${receiverUrl}/arrivals`)).json();
    // Other endpoints' events arrive here too: count the healthy one's only.
    if ([...committedAt.keys()].every((id) => arrivals[id])) break;
    await sleep(100);
  }
  if (![...committedAt.keys()].every((id) => arrivals[id])) {
    // Say where the missing ones are, so a miss can be told from a slow run.
    console.log(
      await ctx
        .sql`select d.status, d.tries, d.lease is not null as leased, switchyard.delivery_next_attempt(d) > now() as later,
        count(*)::int as n from switchyard.deliveries d join switchyard.events e on e.id = d.event_id
        where e.entity_type = 'healthy' and d.status <> 'delivered' group by 1, 2, 3, 4`,
    );
  }
  const latencies = [...committedAt].filter(([id]) => arrivals[id]).map(([id, t0]) =>
    arrivals[id] - t0
  );
  return { ...summarize(latencies), missing: committedAt.size - latencies.length };
}

const rows: Record<string, string | number>[] = [];
const endpointFor = (target: string) =>
  createEndpoint(
    ctx,
    endpointInputSchema.parse({
      tenant: "bench",
      url: `${receiverUrl}/${target}`,
      events: [`${target}.*`],
      timeoutMs: 1_000,
    }),
  );
try {
  await createTenant(ctx.sql, "bench", "bench");
  await endpointFor("healthy");
  // Warm-up of both scenarios (connections, JIT of the failure paths), not reported.
  await steady(["healthy"], 2);
  const warm = await Promise.all(NEIGHBOURS.map(endpointFor));
  await steady(["healthy", ...NEIGHBOURS], 3);
  for (const n of warm) await deleteEndpoint(ctx, n.id, "warm-up over");
  const alone: Awaited<ReturnType<typeof steady>>[] = [];
  const beside: Awaited<ReturnType<typeof steady>>[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    alone.push(await steady(["healthy"]));
    const neighbours = await Promise.all(NEIGHBOURS.map(endpointFor));
    beside.push(await steady(["healthy", ...NEIGHBOURS]));
    // Their backlog is cancelled, so the next round's "alone" is alone.
    for (const n of neighbours) await deleteEndpoint(ctx, n.id, "benchmark round over");
    for (
      const [scenario, r] of [["alone", alone.at(-1)!], [
        `beside ${NEIGHBOURS.join(", ")}`,
        beside.at(-1)!,
      ]] as const
    ) {
      rows.push({
        round,
        scenario,
        "events/s per endpoint": RATE,
        delivered: r.n,
        missing: r.missing,
        "p50 ms": r.p50,
        "p99 ms": r.p99,
        "max ms": r.max,
      });
    }
  }
  const p99 = (runs: typeof alone) => median(runs.map((r) => r.p99));
  const ratio = p99(beside) / p99(alone);
  const lost = beside.reduce((n, r) => n + r.missing, 0) + alone.reduce((n, r) => n + r.missing, 0);
  await report("noisy-neighbour", rows, {
    p99Ratio: ratio,
    target: { p99Ratio: 2 },
    figures: [
      {
        what: `healthy endpoint's delivery p99 beside ${
          NEIGHBOURS.join(", ")
        } (median of ${ROUNDS} rounds)`,
        value: p99(beside),
        unit: "ms",
        beside: { what: "alone", value: p99(alone) },
        ratio,
        target: "≤ 2× alone, nothing missing",
        met: ratio <= 2 && lost === 0,
      },
      {
        what: "healthy endpoint's delivery p50 beside them (median of rounds)",
        value: median(beside.map((r) => r.p50)),
        unit: "ms",
        beside: { what: "alone", value: median(alone.map((r) => r.p50)) },
      },
    ],
  });
  console.log(
    `\nhealthy p99 beside / alone, medians of ${ROUNDS} rounds: ${
      ratio.toFixed(2)
    }× (target ≤ 2×: ${ratio <= 2 ? "met" : "MISSED"}); missing: ${lost}`,
  );
} finally {
  await scheduler.stop();
  await stopDeliveries(ctx);
  await server.shutdown();
  await ctx.close();
  await receiver.stop();
  await db.drop();
}
