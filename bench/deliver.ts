/**
 * `npm run bench -- deliver`: deliveries/s to a local receiver across 10 endpoints, and
 * commit→delivered latency at a steady 500 events/s (routed with routeEvents in a transaction,
 * then the instance's deliveries started, as the pipeline function's hand-over does); the same
 * workloads through graphile-worker and pg-boss (their own schemas, same database, a job per
 * delivery doing the same signed POST to the same receiver); beside them the ceiling, the same
 * signed POSTs from this process with no queue at all. Throughput runs in rounds (3; 1 with
 * BENCH_SECONDS; BENCH_DELIVER_ROUNDS=N), each system once per round, and reports medians.
 */
import { Logger, makeWorkerUtils, run as runGraphile } from "graphile-worker";
import { testDatabase } from "../tests/harness.ts";
import { benchContext } from "./lib/context.ts";
import { createTenant } from "../functions/_shared/tenants.ts";
import type { Sql } from "../functions/_shared/db.ts";
import { appendEvents } from "../functions/_shared/events/append.ts";
import {
  envelopeSelect,
  type EventRow,
  type LoggedEvent,
  rowToEvent,
  toEnvelope,
} from "../functions/_shared/events/envelope.ts";
import { routeEvents } from "../functions/_shared/delivery/route.ts";
import { createEndpoint } from "../functions/_shared/delivery/endpoints.ts";
import { endpointInputSchema } from "../functions/_shared/delivery/endpoint-schema.ts";
import {
  configureDeliveries,
  deliverDue,
  inBackground,
  stopDeliveries,
} from "../functions/_shared/pipeline/deliver.ts";
import { benchCount, benchSeconds, median, report, summarize } from "./stats.ts";
import { startPgBoss } from "./peers/pgboss.ts";
import { type DeliveryJob, signedPost } from "./peers/signed-post.ts";
import { sleep } from "../functions/_shared/clock.ts";
import { epochNow, serveReceiver, spawnReceiver } from "./lib/receiver.ts";

const ENDPOINTS = 10;
const THROUGHPUT_EVENTS = Number(
  Deno.env.get("BENCH_DELIVER_EVENTS") ?? benchCount(2_000, 10, 200),
); // × 10 endpoints
const RATE = 500;
const STEADY_SECONDS = Number(Deno.env.get("BENCH_DELIVER_SECONDS") ?? benchSeconds(10));
/** Throughput rounds (each system once per round); the figures are medians. */
const ROUNDS = Number(
  Deno.env.get("BENCH_DELIVER_ROUNDS") ?? (Deno.env.get("BENCH_SECONDS") ? 1 : 3),
);

// The receiver runs in its own process (`--receiver`), as a target system would: it counts
// arrivals and notes when each event first arrived (epoch ms; body `id` = event id).
if (Deno.args[0] === "--receiver") await serveReceiver();

const receiver = await spawnReceiver(import.meta.url);
const receiverUrl = receiver.url;
const receiverGet = async <T>(path: string): Promise<T> =>
  await (await fetch(`${receiverUrl}${path}`)).json() as T;

/** Waits until the receiver counted `count` requests; polls its stats every 20 ms. */
async function until(count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await receiverGet<{ count: number }>("/stats")).count < count) {
    if (Date.now() > deadline) throw new Error("benchmark timed out");
    await sleep(20);
  }
}

async function appendBatch(
  sql: Sql,
  tenant: string,
  n: number,
  offset: number,
): Promise<LoggedEvent[]> {
  const appended = await appendEvents(
    sql,
    Array.from({ length: n }, (_, i) => ({
      tenant,
      type: "order.confirmed",
      entity: { type: "order", id: `o-${offset + i}` },
      data: { status: "CONFIRMED", total: 42 },
    })),
  );
  const rows = await sql<EventRow[]>`select ${sql.unsafe(envelopeSelect)} from switchyard.events e
    where e.id = any(${appended.map((a) => a.id)}::text[]) order by e.seq`;
  return rows.map(rowToEvent);
}

const db = await testDatabase();
const ctx = benchContext(db.url);
const rows: Record<string, string | number>[] = [];
try {
  const tenants = ["bench-a", "bench-b"];
  for (const t of tenants) await createTenant(ctx.sql, t, t);
  for (let i = 0; i < ENDPOINTS; i++) {
    await createEndpoint(
      ctx,
      endpointInputSchema.parse({
        tenant: "bench-a",
        url: `${receiverUrl}/e${i}`,
        events: ["order.*"],
      }),
    );
  }
  await createEndpoint(
    ctx,
    endpointInputSchema.parse({
      tenant: "bench-b",
      url: `${receiverUrl}/steady`,
      events: ["order.*"],
    }),
  );

  // 1. Throughput, ROUNDS times, the three systems in turn within each round, so that whatever
  // else this machine runs meanwhile weighs on all three alike: the figures are each one's median.
  // Each round routes THROUGHPUT_EVENTS × 10 fresh deliveries (or enqueues as many jobs) first,
  // then times one worker draining them.
  const total = THROUGHPUT_EVENTS * ENDPOINTS;
  const endpointsA = Array.from({ length: ENDPOINTS }, (_, i) => `${receiverUrl}/e${i}`);
  const jobsOf = (events: LoggedEvent[]) =>
    events.flatMap((e) => endpointsA.map((url) => ({ url, event: toEnvelope(e) })));
  const utils = await makeWorkerUtils({ connectionString: db.url, logger: quietLogger() });
  await utils.migrate();
  const task = (payload: unknown) => signedPost(payload as DeliveryJob);
  const graphileRunner = () =>
    runGraphile({
      connectionString: db.url,
      concurrency: 50,
      maxPoolSize: 20,
      noHandleSignals: true,
      pollInterval: 2000,
      taskList: { deliver: task },
      logger: quietLogger(),
    });
  /** Seconds from `start` until the receiver has counted `total` more requests. */
  const timed = async (start: () => Promise<unknown>) => {
    await fetch(`${receiverUrl}/reset`).then((r) => r.body?.cancel());
    const t0 = performance.now();
    await start();
    await until(total, 600_000);
    return (performance.now() - t0) / 1000;
  };
  configureDeliveries(ctx, { batchSize: 100, maxInFlight: 128 });
  const rates: Record<"switchyard" | "graphile-worker" | "pg-boss", number[]> = {
    switchyard: [],
    "graphile-worker": [],
    "pg-boss": [],
  };
  let ceiling = { sent: 0, seconds: 0, rate: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    const batch: LoggedEvent[] = [];
    for (let off = 0; off < THROUGHPUT_EVENTS; off += 500) {
      const events = await appendBatch(
        ctx.sql,
        "bench-a",
        Math.min(500, THROUGHPUT_EVENTS - off),
        round * THROUGHPUT_EVENTS + off,
      );
      await ctx.sql.begin((tx) => routeEvents(tx, events));
      batch.push(...events);
    }
    if (round === 0) {
      // The ceiling: the same signed POSTs from this process to the same receiver, with no queue.
      ceiling = await signedPostRate(batch.slice(0, 1_000), 128, Math.min(5, STEADY_SECONDS));
      rows.push({
        system: "ceiling: signed POSTs alone",
        scenario: "128 concurrent, no queue",
        deliveries: ceiling.sent,
        seconds: ceiling.seconds,
        "deliveries/s": Math.round(ceiling.rate),
      });
    }
    const seconds = {
      // A drain claims for at most 20 s; the scheduler would wake the next one, as this does.
      switchyard: await (async () => {
        let kick: ReturnType<typeof setInterval> | undefined;
        const s = await timed(() => {
          kick = setInterval(() => inBackground(ctx, "delivering", deliverDue(ctx)), 1_000);
          inBackground(ctx, "delivering", deliverDue(ctx));
          return Promise.resolve();
        });
        clearInterval(kick);
        return s;
      })(),
      "graphile-worker": await (async () => {
        for (let off = 0; off < batch.length; off += 200) {
          await utils.addJobs(
            jobsOf(batch.slice(off, off + 200)).map((payload) => ({
              identifier: "deliver",
              payload,
            })),
          );
        }
        let runner: Awaited<ReturnType<typeof graphileRunner>> | undefined;
        const s = await timed(async () => (runner = await graphileRunner()));
        await runner?.stop();
        return s;
      })(),
      "pg-boss": await (async () => {
        const boss = await startPgBoss(db.url);
        await boss.add(jobsOf(batch));
        const s = await timed(() => boss.work());
        await boss.stop();
        return s;
      })(),
    };
    for (const [system, s] of Object.entries(seconds) as [keyof typeof rates, number][]) {
      rates[system].push(total / s);
      rows.push({
        system,
        scenario: `throughput, ${ENDPOINTS} endpoints, round ${round + 1} of ${ROUNDS}`,
        deliveries: total,
        seconds: s,
        "deliveries/s": Math.round(total / s),
      });
    }
  }
  const swRate = median(rates.switchyard);
  const gwRate = median(rates["graphile-worker"]);
  const pbRate = median(rates["pg-boss"]);
  for (const [system, r] of Object.entries(rates)) {
    rows.push({
      system,
      scenario: `throughput, ${ENDPOINTS} endpoints, median of ${ROUNDS}`,
      deliveries: total,
      "deliveries/s": Math.round(median(r)),
    });
  }

  // 2. Latency at a steady 500 events/s, one endpoint: append, then hand over (route + commit)
  // every 20 ms; then the same through each peer.
  const swLatency = await steady(async (events) => {
    await ctx.sql.begin((tx) => routeEvents(tx, events));
    inBackground(ctx, "delivering", deliverDue(ctx));
  });
  await stopDeliveries(ctx);
  const runner = await graphileRunner();
  const gwLatency = await steady(async (events) => {
    await utils.addJobs(
      events.map((e) => ({
        identifier: "deliver",
        payload: { url: `${receiverUrl}/steady`, event: toEnvelope(e) },
      })),
    );
  });
  await runner.stop();
  await utils.release();
  const boss = await startPgBoss(db.url);
  await boss.work();
  const pbLatency = await steady((events) =>
    boss.add(events.map((e) => ({ url: `${receiverUrl}/steady`, event: toEnvelope(e) })))
  );
  await boss.stop();
  for (
    const [system, l] of [["switchyard", swLatency], ["graphile-worker", gwLatency], [
      "pg-boss",
      pbLatency,
    ]] as const
  ) {
    rows.push({
      system,
      scenario: `${RATE} events/s, commit→delivered`,
      deliveries: l.n,
      "p50 ms": l.p50,
      "p99 ms": l.p99,
      "max ms": l.max,
    });
  }

  const ratio = swRate / gwRate;
  await report("deliver", rows, {
    throughputRatio: ratio,
    targets: { deliveriesPerSecond: 3000, p99Ms: 250 },
    figures: [
      {
        what: "deliveries/s, 10 endpoints",
        value: Math.round(swRate),
        unit: "deliveries/s",
        beside: { what: "signed POSTs alone (ceiling)", value: Math.round(ceiling.rate) },
      },
      ...[["graphile-worker", gwRate], ["pg-boss", pbRate]].map(([peer, rate]) => ({
        what: "deliveries/s, 10 endpoints",
        value: Math.round(swRate),
        unit: "deliveries/s",
        beside: { what: peer as string, value: Math.round(rate as number) },
        target: ">= 2×",
        met: swRate >= 2 * (rate as number),
      })),
      {
        what: `commit → delivered p99 at ${RATE} events/s`,
        value: swLatency.p99,
        unit: "ms",
        beside: { what: "pg-boss p99 ms", value: pbLatency.p99 },
      },
    ],
  });
  console.log(`\nthroughput ratio switchyard / graphile-worker: ${ratio.toFixed(2)}×`);
  console.log(
    `targets: ≥3000 deliveries/s ${swRate >= 3000 ? "met" : "MISSED"}; p99 < 250 ms ${
      swLatency.p99 < 250 ? "met" : "MISSED"
    }; ahead of graphile-worker ${ratio > 1 ? "met" : "MISSED"}`,
  );
} finally {
  await ctx.close();
  await receiver.stop();
  await db.drop();
}

/** Signed POSTs of these events to the receiver's endpoints, `concurrency` at a time, for `seconds`. */
async function signedPostRate(events: LoggedEvent[], concurrency: number, seconds: number) {
  let sent = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(Array.from({ length: concurrency }, async (_, w) => {
    while (performance.now() < end) {
      const event = toEnvelope(events[(sent + w) % events.length]);
      await signedPost({ url: `${receiverUrl}/e${w % ENDPOINTS}`, event });
      sent++;
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  return { sent, seconds: elapsed, rate: sent / elapsed };
}

/** Appends RATE events/s in 20 ms ticks for STEADY_SECONDS; `handOver` commits each tick's batch. */
async function steady(handOver: (events: LoggedEvent[]) => Promise<void>) {
  const perTick = RATE / 50;
  const ticks = STEADY_SECONDS * 50;
  const committedAt = new Map<string, number>();
  await fetch(`${receiverUrl}/reset`).then((r) => r.body?.cancel());
  const begin = performance.now();
  let offset = 1_000_000 + Math.floor(Math.random() * 1_000_000_000);
  const inFlight: Promise<void>[] = [];
  for (let t = 0; t < ticks; t++) {
    const wait = begin + t * 20 - performance.now();
    if (wait > 0) await sleep(wait);
    const batch = offset;
    offset += perTick;
    inFlight.push((async () => {
      const events = await appendBatch(ctx.sql, "bench-b", perTick, batch);
      // Measured from just before the hand-over transaction: its own time counts against us.
      const t0 = epochNow();
      await handOver(events);
      for (const e of events) committedAt.set(e.id, t0);
    })());
  }
  await Promise.all(inFlight);
  await until(committedAt.size, 60_000);
  const arrivals = await receiverGet<Record<string, number>>("/arrivals");
  const latencies = [...committedAt].map(([id, t0]) => arrivals[id] - t0);
  return summarize(latencies);
}

function quietLogger() {
  return new Logger(() => (level, message) => {
    if (level === "error") console.error(`graphile-worker: ${message}`);
  });
}
