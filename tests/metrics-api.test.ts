import assert from "node:assert/strict";
import { client, seedTenant, SERVICE_KEY, startStack } from "./harness.ts";
import { fixedClock, seedBursts } from "./metrics-seed.ts";
import { seedDeliveries } from "./metrics-delivery-seed.ts";
import { rollUp } from "../functions/_shared/metrics/rollups.ts";
import { sampleLine } from "../functions/_shared/metrics/prometheus.ts";
import type { TenantMetrics } from "../functions/_shared/metrics/tenant.ts";

const NOW = new Date("2026-11-24T12:20:00Z");
const ago = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000);

Deno.test("GET /api/metrics counts a seeded history for the key's tenant only, and caches it", async () => {
  const clock = fixedClock(NOW);
  const stack = await startStack({ clock });
  try {
    const { sql } = stack.db;
    const a = await seedTenant(sql, "acme");
    const b = await seedTenant(sql, "globex");
    await seedBursts(sql, [
      { tenant: a.slug, type: "order.created", at: ago(10), count: 6 },
      { tenant: a.slug, type: "order.paid", at: ago(50), count: 4 },
      { tenant: a.slug, type: "order.created", at: ago(125), count: 30 },
      { tenant: a.slug, type: "customer.updated", at: ago(600), count: 20 },
      { tenant: a.slug, type: "order.created", at: ago(60 * 30), count: 100 },
      { tenant: a.slug, type: "order.created", at: new Date(NOW.getTime() + 60_000), count: 7 },
      { tenant: b.slug, type: "order.created", at: ago(5), count: 1000 },
    ]);
    const expectA = (m: TenantMetrics) => {
      assert.equal(m.tenant, "acme");
      assert.deepEqual(m.events, { total: 160, lastHour: 10, last24h: 60 });
      assert.deepEqual(m.averagePerMinute, { lastHour: 0.17, last24h: 0.04 });
      assert.deepEqual(m.byType, {
        "customer.updated": { total: 20, lastHour: 0, last24h: 20 },
        "order.created": { total: 136, lastHour: 6, last24h: 36 },
        "order.paid": { total: 4, lastHour: 4, last24h: 4 },
      });
      assert.deepEqual(m.byEntityType, {
        customer: { total: 20, lastHour: 0, last24h: 20 },
        order: { total: 140, lastHour: 10, last24h: 40 },
      });
      assert.deepEqual(m.topTypes.map((t) => [t.type, t.last24h]), [["order.created", 36], [
        "customer.updated",
        20,
      ], ["order.paid", 4]]);
      assert.equal(m.hourly.length, 24);
      assert.equal(m.hourly.at(-1)?.hour, "2026-11-24T12:00:00.000Z");
      assert.equal(m.hourly.at(-1)?.events, 6);
      assert.equal(m.hourly.find((h) => h.hour === "2026-11-24T11:00:00.000Z")?.events, 4);
      assert.equal(m.hourly.find((h) => h.hour === "2026-11-24T10:00:00.000Z")?.events, 30);
      assert.equal(m.hourly.reduce((n: number, h) => n + h.events, 0), 60);
    };

    const first = await client(stack.base, a.key)("GET", "/api/metrics");
    assert.equal(first.status, 200, first.text);
    assert.equal(first.headers.get("x-switchyard-cache"), "miss");
    expectA(first.json);
    const again = await client(stack.base, a.key)("GET", "/api/metrics");
    assert.equal(again.headers.get("x-switchyard-cache"), "hit");
    expectA(again.json);

    const other = await client(stack.base, b.key)("GET", "/api/metrics");
    assert.deepEqual(other.json.events, { total: 1000, lastHour: 1000, last24h: 1000 });
    assert.deepEqual(Object.keys(other.json.byType), ["order.created"]);

    // Once rolled up, the same figures come from stored hours plus the live tail.
    await rollUp(stack.ctx);
    await stack.ctx.store.del("acme:metrics:v1");
    expectA((await client(stack.base, a.key)("GET", "/api/metrics")).json);

    assert.equal((await client(stack.base, "sy_wrong")("GET", "/api/metrics")).status, 401);
  } finally {
    await stack.close();
  }
});

Deno.test("GET /api/metrics/prometheus needs the service key and every line parses", async () => {
  const clock = fixedClock(NOW);
  const stack = await startStack({ store: "memory", clock });
  try {
    const { sql } = stack.db;
    const a = await seedTenant(sql, "acme");
    await seedBursts(sql, [
      { tenant: a.slug, type: "order.created", at: ago(90), count: 40 },
      { tenant: a.slug, type: "order.paid", at: ago(10), count: 10 },
    ]);
    await seedDeliveries(sql, a.slug, NOW);
    await rollUp(stack.ctx);
    // Of the 5 pending: 2 claimed (in flight), 1 at a disabled endpoint (held), 2 due.
    await sql`select id from switchyard.claim_deliveries(2, 'in-flight', 32, 15000)`;
    await sql`update switchyard.deliveries set status = 'held'
      where id = (select id from switchyard.deliveries where status = 'pending' and lease is null limit 1)`;

    assert.equal((await client(stack.base, a.key)("GET", "/api/metrics/prometheus")).status, 401);
    assert.equal(
      await fetch(`${stack.base}/api/metrics/prometheus`).then(async (
        r,
      ) => (await r.body?.cancel(), r.status)),
      401,
    );
    const res = await client(stack.base, SERVICE_KEY)("GET", "/api/metrics/prometheus");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
    const lines = res.text.trim().split("\n");
    for (const line of lines) {
      if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) continue;
      assert.match(line, sampleLine);
    }
    const value = (prefix: string) =>
      Number(lines.find((l) => l.startsWith(prefix))?.split(" ").at(-1));
    assert.equal(value('switchyard_events_total{tenant="acme",type="order.created"}'), 40);
    assert.equal(value('switchyard_events_total{tenant="acme",type="order.paid"}'), 10);
    assert.equal(value('switchyard_deliveries_total{tenant="acme",outcome="delivered"}'), 45);
    assert.equal(value('switchyard_deliveries_total{tenant="acme",outcome="failed"}'), 5);
    assert.equal(value('switchyard_deliveries_total{tenant="acme",outcome="dead"}'), 1);
    assert.equal(value('switchyard_delivery_latency_seconds_count{tenant="acme"}'), 50);
    assert.equal(value('switchyard_delivery_latency_seconds_bucket{tenant="acme",le="+Inf"}'), 50);
    assert.equal(value('switchyard_delivery_latency_seconds_bucket{tenant="acme",le="0.01"}'), 0);
    assert.equal(value('switchyard_circuit_breaker_state{breaker="database"}'), 0);
    assert.equal(value("switchyard_deliveries_due "), 2);
    assert.equal(value("switchyard_deliveries_in_flight "), 2);
    assert.equal(value("switchyard_deliveries_held "), 1);
    assert.ok(lines.includes("# TYPE switchyard_relay_lag_seconds gauge"));
  } finally {
    await stack.close();
  }
});
