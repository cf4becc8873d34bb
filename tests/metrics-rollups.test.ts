import assert from "node:assert/strict";
import { seedTenant, startStack } from "./harness.ts";
import { type Burst, fixedClock, seedBursts } from "./metrics-seed.ts";
import { rollUp } from "../functions/_shared/metrics/rollups.ts";
import { storeRollups } from "../functions/_shared/metrics/queries.ts";

const HOUR = 3_600_000;
const NOW = new Date("2026-11-24T12:20:00Z");
const SPIKE = new Date("2026-11-24T09:00:00Z");

/** Eight days of about 30 order.created and 10 order.paid an hour, and one hour of 200 order.created. */
function history(tenant: string): Burst[] {
  const bursts: Burst[] = [];
  const start = Math.floor(NOW.getTime() / HOUR) * HOUR - 8 * 24 * HOUR;
  for (let h = start, i = 0; h < NOW.getTime(); h += HOUR, i++) {
    const at = new Date(h + 5 * 60_000);
    bursts.push({
      tenant,
      type: "order.created",
      at,
      count: h === SPIKE.getTime() ? 200 : 28 + (i * 7) % 5,
    });
    bursts.push({ tenant, type: "order.paid", at, count: 10 });
  }
  return bursts;
}

Deno.test("hourly rollups count a constructed history and exactly the spike hour raises metrics.anomaly", async () => {
  const clock = fixedClock(NOW);
  const stack = await startStack({ store: "memory", clock });
  try {
    const { sql } = stack.db;
    const a = await seedTenant(sql, "acme");
    const b = await seedTenant(sql, "globex");
    await seedBursts(sql, history(a.slug));
    await seedBursts(sql, [{ tenant: b.slug, type: "order.created", at: SPIKE, count: 3 }]);

    const round = await rollUp(stack.ctx);
    assert.equal(
      round.hours,
      8 * 24,
      "every complete hour from the first event to 12:00 is rolled up",
    );
    assert.equal(round.through, "2026-11-24T12:00:00.000Z");

    const rows = await sql<{ tenant: string; type: string; entity_type: string; events: string }[]>`
      select tenant, type, entity_type, events from switchyard.metric_rollups where hour = ${SPIKE} order by 1, 2`;
    assert.deepEqual(rows.map((r) => [r.tenant, r.type, r.entity_type, Number(r.events)]), [
      ["*", "*", "*", 213],
      ["acme", "*", "*", 210],
      ["acme", "order.created", "order", 200],
      ["acme", "order.paid", "order", 10],
      ["globex", "*", "*", 3],
      ["globex", "order.created", "order", 3],
    ]);
    const [total] = await sql<{ n: string }[]>`
      select sum(events) as n from switchyard.metric_rollups where tenant = 'acme' and type <> '*'`;
    const [raw] = await sql<{ n: string }[]>`
      select count(*) as n from switchyard.events where tenant = 'acme' and recorded_at < '2026-11-24T12:00:00Z' and type not like 'metrics.%'`;
    assert.equal(Number(total.n), Number(raw.n));

    const anomalies = await sql<
      { tenant: string; entity_id: string; data: Record<string, unknown> }[]
    >`
      select tenant, entity_id, data from switchyard.events where type = 'metrics.anomaly'`;
    assert.equal(anomalies.length, 1, JSON.stringify(anomalies.map((x) => x.data)));
    assert.equal(anomalies[0].tenant, "acme");
    assert.equal(anomalies[0].entity_id, "acme:order.created");
    assert.equal(anomalies[0].data.hour, SPIKE.toISOString());
    assert.equal(anomalies[0].data.direction, "spike");
    assert.equal(anomalies[0].data.value, 200);

    // Idempotent: a second round has nothing to do, re-storing an hour changes nothing, no second anomaly.
    assert.equal((await rollUp(stack.ctx)).hours, 0);
    await storeRollups(sql, SPIKE, new Date(SPIKE.getTime() + HOUR));
    const [again] = await sql<{ events: string }[]>`
      select events from switchyard.metric_rollups where hour = ${SPIKE} and tenant = 'acme' and type = 'order.created'`;
    assert.equal(Number(again.events), 200);

    // The next hour boundary rolls up one more hour.
    clock.set(new Date(NOW.getTime() + HOUR));
    const next = await rollUp(stack.ctx);
    assert.equal(next.hours, 1);
    const [{ n }] = await sql<
      { n: string }[]
    >`select count(*) as n from switchyard.events where type = 'metrics.anomaly'`;
    assert.equal(Number(n), 1);
  } finally {
    await stack.close();
  }
});
