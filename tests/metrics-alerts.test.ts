import assert from "node:assert/strict";
import { seedTenant, startStack } from "./harness.ts";
import { fixedClock, seedBursts } from "./metrics-seed.ts";
import { seedDeliveries } from "./metrics-delivery-seed.ts";
import { evaluateAlerts } from "../functions/_shared/metrics/alerts.ts";

Deno.test("a delivery error rate over 1 % alerts once per episode and resolves when the window is clean", async () => {
  const now = new Date(Math.floor(Date.now() / 60_000) * 60_000);
  const clock = fixedClock(now);
  const stack = await startStack({ store: "memory", clock });
  try {
    const { sql } = stack.db;
    const acme = await seedTenant(sql, "acme");
    await seedTenant(sql, "globex");
    await seedBursts(sql, [{
      tenant: acme.slug,
      type: "order.created",
      at: new Date(now.getTime() - 5 * 60_000),
      count: 50,
    }]);
    await seedDeliveries(sql, acme.slug, now, 1);

    const alerts = () =>
      sql<{ tenant: string; type: string; entity_id: string; data: Record<string, unknown> }[]>`
      select tenant, type, entity_id, data from switchyard.events where type in ('alert.delivery_error_rate', 'alert.resolved') order by seq`;
    const first = await evaluateAlerts(stack.ctx);
    assert.ok(first.fired.includes("delivery_error_rate|acme|deliveries"), JSON.stringify(first));
    await evaluateAlerts(stack.ctx);
    let rows = await alerts();
    assert.deepEqual(rows.map((r) => [r.tenant, r.type, r.entity_id]), [[
      "acme",
      "alert.delivery_error_rate",
      "deliveries",
    ]]);
    assert.equal(rows[0].data.value, 0.1);

    clock.set(new Date(now.getTime() + 20 * 60_000));
    const later = await evaluateAlerts(stack.ctx);
    assert.ok(later.resolved.includes("delivery_error_rate|acme|deliveries"));
    rows = await alerts();
    assert.deepEqual(rows.map((r) => [r.tenant, r.type]), [["acme", "alert.delivery_error_rate"], [
      "acme",
      "alert.resolved",
    ]]);
    const [{ n }] = await sql<
      { n: string }[]
    >`select count(*) as n from switchyard.alert_state where kind = 'delivery_error_rate'`;
    assert.equal(Number(n), 0);
  } finally {
    await stack.close();
  }
});
