import assert from "node:assert/strict";
import { client, seedTenant, SERVICE_KEY, startStack } from "./harness.ts";
import { startReceiver } from "./receiver.ts";
import { emitAndRoute, orderEvent, waitUntil } from "./delivery_fixtures.ts";
import { runDeliveryWorker } from "../workers/scheduler/jobs/deliveries.ts";
import { loadConfig } from "../functions/_shared/config.ts";
import { createContext } from "../functions/_shared/context.ts";
import { createLogger } from "../functions/_shared/log.ts";

const pendingCount = async (sql: import("../functions/_shared/db.ts").Sql) =>
  (await sql<
    { n: number }[]
  >`select count(*)::int as n from switchyard.deliveries where status <> 'delivered'`)[0].n;

Deno.test("two workers in parallel over 2,000 deliveries send each exactly once", async () => {
  const stack = await startStack({ store: "memory" });
  const receiver = startReceiver();
  // A second context: its own pool, as a second process would have.
  const ctx2 = createContext(loadConfig(stack.env), {
    log: createLogger("w2", { level: "error" }),
  });
  try {
    const { slug } = await seedTenant(stack.db.sql);
    const admin = client(stack.base, SERVICE_KEY);
    for (let i = 0; i < 4; i++) {
      assert.equal(
        (await admin("POST", "/admin/endpoints", {
          tenant: slug,
          url: `${receiver.url}/e${i}`,
          events: ["order.*"],
        })).status,
        201,
      );
    }
    for (let b = 0; b < 5; b++) {
      await emitAndRoute(
        stack.db.sql,
        Array.from({ length: 100 }, (_, i) => orderEvent(slug, `o-${b}-${i}`)),
      );
    }
    const [w1, w2] = [
      await runDeliveryWorker(stack.ctx, { batchSize: 50 }),
      await runDeliveryWorker(ctx2, { batchSize: 50 }),
    ];
    try {
      await receiver.waitFor(2000, 60_000);
      await waitUntil("all recorded", async () => (await pendingCount(stack.db.sql)) === 0, 30_000);
      await new Promise((r) => setTimeout(r, 300));
      const ids = receiver.requests.map((r) => r.headers["webhook-id"]);
      assert.equal(ids.length, 2000);
      assert.equal(new Set(ids).size, 2000, "no delivery was sent twice");
      const [{ n }] = await stack.db
        .sql`select count(*)::int as n from switchyard.delivery_attempts`;
      assert.equal(n, 2000);
    } finally {
      await w1.stop();
      await w2.stop();
    }
  } finally {
    await ctx2.close();
    await receiver.close();
    await stack.close();
  }
});

Deno.test("kill -9 of a worker mid-batch: every delivery is made after a restart", async () => {
  const stack = await startStack({ store: "memory" });
  const receiver = startReceiver();
  receiver.respond(() => ({ delayMs: 300 }));
  try {
    const { slug } = await seedTenant(stack.db.sql);
    const admin = client(stack.base, SERVICE_KEY);
    await admin("POST", "/admin/endpoints", {
      tenant: slug,
      url: receiver.url,
      events: ["*"],
      timeoutMs: 1000,
    });
    await emitAndRoute(
      stack.db.sql,
      Array.from({ length: 300 }, (_, i) => orderEvent(slug, `o-${i}`)),
    );
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--no-check",
        new URL("./delivery_worker_process.ts", import.meta.url).pathname,
      ],
      env: { ...stack.env, LEASE_MARGIN_MS: "500" },
      stdout: "null",
      stderr: "null",
    }).spawn();
    await receiver.waitFor(20, 30_000);
    child.kill("SIGKILL");
    await child.status;
    const sentBeforeKill = new Set(receiver.requests.map((r) => r.headers["webhook-id"])).size;
    assert.ok(await pendingCount(stack.db.sql) > 0, "the kill left work undone");
    receiver.respond(() => undefined);
    const worker = await runDeliveryWorker(stack.ctx, { leaseMarginMs: 500 });
    try {
      await waitUntil(
        "all delivered",
        async () => (await pendingCount(stack.db.sql)) === 0,
        60_000,
      );
      const ids = new Set(receiver.requests.map((r) => r.headers["webhook-id"]));
      assert.equal(ids.size, 300, `every delivery arrived (${sentBeforeKill} before the kill)`);
    } finally {
      await worker.stop();
    }
  } finally {
    await receiver.close();
    await stack.close();
  }
});
