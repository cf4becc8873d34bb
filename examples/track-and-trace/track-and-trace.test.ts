/**
 * Track & trace end to end: three systems post shipment events with dedup keys, a retried post
 * gets the original back, a shipment's timeline reads in order, and the hourly KPIs flag the
 * injected spike of customs holds — through the example's loader and through the scheduler's job.
 */
import assert from "node:assert/strict";
import { client, seedTenant, startStack } from "../../tests/harness.ts";
import { createLogger } from "../../functions/_shared/log.ts";
import { rollupsJob } from "../../workers/scheduler/jobs/rollups.ts";
import { HOUR_MS } from "../../functions/_shared/metrics/tenant.ts";
import { exampleTenant } from "../_shared/tenant.ts";
import { load, TENANT } from "./load.ts";
import { postSteps, steps, toEvent } from "./scenario.ts";
import { seedHistory, SPIKE_COUNT, SPIKE_TYPE, spikeHour } from "./kpis.ts";

const ops = { sanitizeOps: false, sanitizeResources: false };
const quiet = createLogger("example", { level: "error" });

Deno.test({
  name:
    "track-and-trace: dedup keys answer retries with the original, timelines read in order, the KPI spike is an anomaly",
  ...ops,
  fn: async () => {
    const stack = await startStack();
    const dir = await Deno.makeTempDir({ prefix: "switchyard-tnt-" });
    const env = { ...stack.env, SWITCHYARD_STATE_DIR: dir };
    try {
      await load({ env, log: quiet });
      const { key } = await exampleTenant(env, TENANT, "Example logistics");
      const api = client(`${stack.base}/api`, key);

      // A second load re-posts every step: all answered with the originals, nothing new stored.
      const first = await api("GET", "/trace/shipment/shp-1001");
      const again = await postSteps(`${stack.base}`, key);
      assert.ok(again.every((a) => a.duplicate), "every re-posted step is a duplicate");
      const byStep = new Map(
        first.json.items.map((e: { dedupKey: string; id: string }) => [e.dedupKey, e.id]),
      );
      steps.filter((s) => s.shipment === "shp-1001").forEach((s) => {
        assert.equal(
          again[steps.indexOf(s)].id,
          byStep.get(`${s.system}:${s.ref}`),
          `${s.ref} answered with the original`,
        );
      });

      // One carrier retry on its own, as curl in the README sends it.
      const retry = await api("POST", "/events", toEvent(steps[3]));
      assert.equal(retry.status, 202);
      assert.deepEqual(retry.json.accepted, [{
        id: byStep.get("carrier:trk-5521-02"),
        version: 4,
        duplicate: true,
      }]);

      const trace = await api("GET", "/trace/shipment/shp-1001");
      assert.equal(trace.status, 200);
      assert.deepEqual(trace.json.items.map((e: { type: string }) => e.type), [
        "shipment.picked",
        "shipment.packed",
        "shipment.picked_up",
        "shipment.in_transit",
        "shipment.customs_cleared",
        "shipment.out_for_delivery",
        "shipment.delivered",
      ]);
      assert.deepEqual(trace.json.items.map((e: { version: number }) => e.version), [
        1,
        2,
        3,
        4,
        5,
        6,
        7,
      ]);
      assert.deepEqual([
        ...new Set(
          trace.json.items.map((e: { metadata: { source: string } }) => e.metadata.source),
        ),
      ], ["warehouse", "carrier", "customs"]);
      const held = await api("GET", "/trace/shipment/shp-1002");
      assert.equal(held.json.items.at(-1).type, "shipment.customs_held");

      // The KPIs: the spike hour stands out in /api/metrics and raised exactly one metrics.anomaly.
      const anomalies = await api("GET", "/events?type=metrics.anomaly");
      assert.equal(anomalies.json.items.length, 1, JSON.stringify(anomalies.json.items));
      const [anomaly] = anomalies.json.items;
      assert.equal(anomaly.entity.id, `${TENANT}:${SPIKE_TYPE}`);
      assert.equal(anomaly.data.hour, new Date(spikeHour(Date.now())).toISOString());
      assert.equal(anomaly.data.direction, "spike");
      assert.equal(anomaly.data.value, SPIKE_COUNT);
      const metrics = await api("GET", "/metrics");
      assert.equal(metrics.status, 200);
      const spike = metrics.json.hourly.find((h: { hour: string }) => h.hour === anomaly.data.hour);
      assert.ok(
        spike.events >= SPIKE_COUNT,
        `the spike hour in the hourly KPIs: ${JSON.stringify(spike)}`,
      );
      assert.ok(metrics.json.byType[SPIKE_TYPE].last24h >= SPIKE_COUNT);

      // A second load finds everything in place: no new events, no second anomaly.
      const [{ n: before }] = await stack.db.sql<
        { n: number }[]
      >`select count(*)::int as n from switchyard.events where tenant = ${TENANT}`;
      await load({ env, log: quiet });
      const [{ n: after }] = await stack.db.sql<
        { n: number }[]
      >`select count(*)::int as n from switchyard.events where tenant = ${TENANT}`;
      assert.equal(after, before);
    } finally {
      await stack.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "track-and-trace: the scheduler's hourly rollups job flags exactly the injected spike hour",
  ...ops,
  fn: async () => {
    const now = Date.parse("2026-11-24T12:20:00Z");
    const stack = await startStack({
      store: "memory",
      clock: { now: () => now, sleep: () => Promise.resolve() },
    });
    try {
      const { slug, key } = await seedTenant(stack.db.sql);
      await seedHistory(stack.db.sql, slug, now);
      const wait = await rollupsJob.run(stack.ctx);
      assert.ok(wait > 0 && wait <= HOUR_MS, `then sleeps until the next hour (${wait} ms)`);
      const anomalies = await client(`${stack.base}/api`, key)(
        "GET",
        "/events?type=metrics.anomaly",
      );
      assert.deepEqual(
        anomalies.json.items.map((
          e: { data: { eventType: string; hour: string } },
        ) => [e.data.eventType, e.data.hour]),
        [
          [SPIKE_TYPE, "2026-11-24T10:00:00.000Z"],
        ],
      );
    } finally {
      await stack.close();
    }
  },
});
