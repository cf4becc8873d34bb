/**
 * `npm run bench -- relay`: commit → hand-over latency at a steady 1,000 events/s for 15 s, and
 * the relay's throughput draining a 100,000-event backlog, both into a recording pipeline (the relay
 * alone), and the backlog again through the real pipeline function.
 */
import { testDatabase } from "../tests/harness.ts";
import { appendEvents } from "../functions/_shared/events/append.ts";
import { loadConfig } from "../functions/_shared/config.ts";
import { createContext } from "../functions/_shared/context.ts";
import { createLogger } from "../functions/_shared/log.ts";
import { serveFunctions } from "../local/serve.ts";
import { freePort } from "../local/ports.ts";
import { recordingPipeline, relayEnv, startRelay, writeEvents } from "../tests/relay-support.ts";
import { seedTenant, SERVICE_KEY } from "../tests/harness.ts";
import { benchCount, benchSeconds, type Figure, report, summarize } from "./stats.ts";
import { waitUntil } from "../tests/wait.ts";
import { sleep } from "../functions/_shared/clock.ts";

const RATE = 1_000;
const SECONDS = benchSeconds(15);
const PER_COMMIT = 10;
const BACKLOG = benchCount(100_000, 15, 5_000);
const now = () => performance.timeOrigin + performance.now();
const rows: Record<string, string | number>[] = [];
const figures: Figure[] = [];

// 1. Latency at a steady rate.
{
  const db = await testDatabase();
  const pipeline = recordingPipeline();
  const relay = startRelay(relayEnv(db.url, pipeline.url, db.name, { LOG_LEVEL: "warn" }));
  try {
    const { slug } = await seedTenant(db.sql);
    await appendEvents(db.sql, [{
      tenant: slug,
      type: "bench.warmup",
      entity: { type: "bench", id: "w" },
    }]);
    await waitUntil("the relay to stream", () => pipeline.count() === 1, 30_000);
    const committed = new Map<string, number>();
    const interval = 1_000 / (RATE / PER_COMMIT);
    const start = now();
    for (let k = 0; k < SECONDS * RATE / PER_COMMIT; k++) {
      const wait = start + k * interval - now();
      if (wait > 0) await sleep(wait);
      const accepted = await appendEvents(
        db.sql,
        Array.from({ length: PER_COMMIT }, (_, i) => ({
          tenant: slug,
          type: "order.updated",
          entity: { type: "order", id: `o-${(k * PER_COMMIT + i) % 500}` },
          data: { k, i },
        })),
      );
      const at = now();
      for (const a of accepted) committed.set(a.id, at);
    }
    const elapsed = (now() - start) / 1000;
    await waitUntil(
      "every event handed over",
      () => pipeline.count() >= committed.size + 1,
      30_000,
    );
    const latencies = pipeline.arrivals.filter((a) => committed.has(a.id)).map((a) =>
      a.at - committed.get(a.id)!
    );
    const s = summarize(latencies);
    rows.push({
      scenario: `steady ${RATE}/s for ${SECONDS}s`,
      events: s.n,
      "written/s": Math.round(committed.size / elapsed),
      "p50 ms": s.p50,
      "p95 ms": s.p95,
      "p99 ms": s.p99,
      "max ms": s.max,
      batches: pipeline.batches.length - 1,
    });
    figures.push({
      what: `relay commit → hand-over p99 at ${RATE} events/s`,
      value: s.p99,
      unit: "ms",
      target: "< 20 ms",
      met: s.p99 < 20,
    });
  } finally {
    await relay.kill("SIGTERM");
    await pipeline.stop();
    await db.drop();
  }
}

/** Fills a backlog while no relay runs, then times the drain from first to last hand-over. */
async function drain(
  label: string,
  target: (
    db: Awaited<ReturnType<typeof testDatabase>>,
  ) => Promise<{ url: string; count: () => Promise<number>; stop: () => Promise<void> }>,
) {
  const db = await testDatabase();
  const sink = await target(db);
  const env = relayEnv(db.url, sink.url, db.name, { LOG_LEVEL: "warn" });
  let relay = startRelay(env);
  try {
    const { slug } = await seedTenant(db.sql);
    await appendEvents(db.sql, [{
      tenant: slug,
      type: "bench.warmup",
      entity: { type: "bench", id: "w" },
    }]);
    await waitUntil("the relay to stream", async () => (await sink.count()) >= 1, 30_000);
    await relay.kill("SIGTERM");
    await writeEvents(db.sql, slug, { total: BACKLOG, writers: 4, batch: 500, entities: 5_000 });
    const started = now();
    relay = startRelay(env);
    await waitUntil(
      "the backlog to drain",
      async () => (await sink.count()) >= BACKLOG + 1,
      300_000,
    );
    const seconds = (now() - started) / 1000;
    rows.push({
      scenario: `${label}: ${BACKLOG} backlog`,
      events: BACKLOG,
      "events/s": Math.round(BACKLOG / seconds),
      "drain s": seconds,
    });
    figures.push({
      what: `${label}, backlog drain`,
      value: Math.round(BACKLOG / seconds),
      unit: "events/s",
    });
  } finally {
    await relay.kill("SIGTERM");
    await sink.stop();
    await db.drop();
  }
}

// 2. Throughput of the relay alone.
await drain("relay → recording pipeline", () => {
  const p = recordingPipeline();
  return Promise.resolve({ url: p.url, count: () => Promise.resolve(p.count()), stop: p.stop });
});

// 3. Throughput through the real pipeline function (routing, composition, relay state).
await drain("relay → pipeline function", (db) => {
  const config = loadConfig({
    DATABASE_URL: db.url,
    SUPABASE_SERVICE_ROLE_KEY: SERVICE_KEY,
    SWITCHYARD_ALLOW_PRIVATE_TARGETS: "1",
    LOG_LEVEL: "error",
  });
  const ctx = createContext(config, { log: createLogger("bench", { level: "error" }) });
  const port = freePort();
  const server = serveFunctions(ctx, port);
  return Promise.resolve({
    url: `http://127.0.0.1:${port}`,
    count: async () =>
      Number(
        (await db.sql<{ n: string }[]>`select handed_over as n from switchyard.relay_state`)[0].n,
      ),
    stop: async () => {
      await server.shutdown();
      await ctx.close();
    },
  });
});

await report("relay", rows, {
  rate: RATE,
  seconds: SECONDS,
  perCommit: PER_COMMIT,
  batchSize: 500,
  batchWaitMs: 0,
  figures,
});
Deno.exit(0);
