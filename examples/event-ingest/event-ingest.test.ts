/**
 * Event ingest end to end: 5,000 events/s for a few seconds with nothing lost, queries by service
 * and time range, retention removing what is older than the window, and per-service metrics.
 * `npm run bench -- ingest-soak` runs the full 60 seconds.
 */
import assert from "node:assert/strict";
import { client, startStack } from "../../tests/harness.ts";
import { createLogger } from "../../functions/_shared/log.ts";
import { retentionJob } from "../../workers/scheduler/jobs/retention.ts";
import { exampleTenant } from "../_shared/tenant.ts";
import { load, TENANT } from "./load.ts";
import { generateLoad, logEvent } from "./load-generator.ts";
import { seedOldEvents } from "./old-events.ts";

Deno.test({
  name:
    "event-ingest: 5,000 events/s with none lost, by service and time range, retention, per-service metrics",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const stack = await startStack({
      env: { INGEST_TENANT_RATE: "100000", INGEST_IP_RATE: "10000", RETENTION_DAYS: "30" },
    });
    const dir = await Deno.makeTempDir({ prefix: "switchyard-ingest-" });
    const env = { ...stack.env, SWITCHYARD_STATE_DIR: dir };
    const { sql } = stack.db;
    const count = async (where = sql`true`) =>
      (await sql<
        { n: number }[]
      >`select count(*)::int as n from switchyard.events where tenant = ${TENANT} and ${where}`)[0]
        .n;
    try {
      await load({ env, log: createLogger("example", { level: "error" }) });
      const { key } = await exampleTenant(env, TENANT, "Example event ingest");
      const api = client(`${stack.base}/api`, key);
      const sampled = await count(sql`dedup_key like 'sample:%'`);
      assert.equal(sampled, 4_000, "the loader's sample is stored");

      // 1. The load: every acknowledged event is in the database, once.
      const from = new Date().toISOString();
      const run = await generateLoad({
        base: stack.base,
        key,
        rate: 5_000,
        seconds: 3,
        clients: 16,
      });
      const to = new Date().toISOString();
      const stored = await count(sql`dedup_key like ${`${run.runId}:%`}`);
      console.log(
        `ingest: ${run.accepted} accepted, ${stored} stored, ${
          Math.round(run.eventsPerSecond)
        } events/s, ` +
          `p50 ${run.latency.p50.toFixed(1)} ms, p99 ${
            run.latency.p99.toFixed(1)
          } ms, ${run.retries} retries`,
      );
      assert.equal(run.accepted, 15_000);
      assert.equal(stored, run.accepted, "nothing lost, nothing stored twice");
      // No rate floor here: the test shares the machine; `npm run bench -- ingest-soak` measures it.

      // 2. One service over the run's time range, page by page, newest first.
      const seen: { type: string; timestamp: string }[] = [];
      let cursor: string | null = null;
      do {
        const q: string = `/events?type=payments.*&from=${from}&to=${to}&limit=1000${
          cursor ? `&cursor=${cursor}` : ""
        }`;
        const page = await api("GET", q);
        assert.equal(page.status, 200, page.text);
        seen.push(...page.json.items);
        cursor = page.json.nextCursor;
      } while (cursor);
      const payments = await count(
        sql`type = 'payments.log' and occurred_at >= ${from} and occurred_at < ${to}`,
      );
      assert.ok(payments > 1_000, `payments events in the run: ${payments}`);
      assert.equal(seen.length, payments);
      assert.ok(
        seen.every((e) => e.type === "payments.log" && e.timestamp >= from && e.timestamp < to),
      );
      const one = logEvent(run.runId, 0);
      const byRequest = await api("GET", `/events?entityType=request&entityId=${one.entity.id}`);
      assert.equal(byRequest.json.items.length, 4, "a request's four log lines");

      // 3. Retention: what is older than RETENTION_DAYS goes, the rest stays.
      await seedOldEvents(sql, TENANT, { count: 2_000, daysAgo: 31, service: "archive" });
      const recent = await count(sql`recorded_at >= now() - interval '30 days'`);
      assert.equal(await count(sql`recorded_at < now() - interval '30 days'`), 500 + 2_000);
      await retentionJob.run(stack.ctx);
      assert.equal(
        await count(sql`recorded_at < now() - interval '30 days'`),
        0,
        "old events are gone",
      );
      assert.equal(
        await count(sql`recorded_at >= now() - interval '30 days'`),
        recent,
        "recent events stay",
      );

      // 4. Business metrics: per service (one event type each), last hour and day, per minute, top services.
      const metrics = await api("GET", "/metrics");
      assert.equal(metrics.status, 200, metrics.text);
      const m = metrics.json;
      const total = 4_000 + run.accepted;
      assert.deepEqual(m.events, { total, lastHour: total, last24h: total });
      assert.equal(m.averagePerMinute.lastHour, Math.round((total / 60) * 100) / 100);
      for (const service of ["search", "checkout", "auth", "payments", "inventory"]) {
        const n = await count(sql`type = ${`${service}.log`}`);
        assert.deepEqual(
          m.byType[`${service}.log`],
          { total: n, lastHour: n, last24h: n },
          service,
        );
      }
      assert.deepEqual(m.topTypes.map((t: { type: string }) => t.type), [
        "search.log",
        "checkout.log",
        "auth.log",
        "payments.log",
        "inventory.log",
      ]);
      assert.ok(
        !("archive.log" in m.byType) && !("legacy.log" in m.byType),
        "pruned events are not counted",
      );
    } finally {
      await stack.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
