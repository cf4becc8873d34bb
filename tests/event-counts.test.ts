/**
 * `switchyard status` counts each tenant's events from what appends counted
 * (migrations/20261201090200_event_counts.sql), not by reading the log.
 */
import assert from "node:assert/strict";
import { seedTenant, testDatabase } from "./harness.ts";
import { appendEvents } from "../functions/_shared/events/append.ts";
import type { Sql } from "../functions/_shared/db.ts";

const batch = (tenant: string, n: number, tag: string, dedup = false) =>
  Array.from({ length: n }, (_, i) => ({
    tenant,
    type: "order.updated",
    entity: { type: "order", id: `o-${i % 7}` },
    dedupKey: dedup ? `k-${tag}-${i % 3}` : undefined,
    data: { tag, i },
  }));

async function status(sql: Sql) {
  const rows = await sql<{ tenant: string; events_24h: string; events_total: string }[]>`
    select tenant, events_24h, events_total from switchyard.tenant_status()`;
  return Object.fromEntries(
    rows.map((r) => [r.tenant, { day: Number(r.events_24h), total: Number(r.events_total) }]),
  );
}

Deno.test("status counts what was appended, duplicates not, concurrent appends exactly", async () => {
  const db = await testDatabase();
  try {
    const a = (await seedTenant(db.sql)).slug;
    const b = (await seedTenant(db.sql)).slug;
    // Eight appends at once, on several connections, over the same entities.
    await Promise.all(
      Array.from({ length: 8 }, (_, k) => appendEvents(db.sql, batch(a, 50, `c${k}`))),
    );
    // 30 events with 3 dedup keys, twice: 3 appended, the rest duplicates.
    await appendEvents(db.sql, batch(b, 30, "d", true));
    await appendEvents(db.sql, batch(b, 30, "d", true));
    const [{ logged }] = await db.sql<{ logged: number }[]>`
      select count(*)::int as logged from switchyard.events where tenant = ${a}`;
    assert.equal(logged, 400);
    assert.deepEqual((await status(db.sql))[a], { day: 400, total: 400 });
    assert.deepEqual((await status(db.sql))[b], { day: 3, total: 3 });

    // Three days on: out of the last 24 hours, still in the total, and folded when events are pruned.
    await db.sql`update switchyard.event_counts set hour = hour - interval '3 days'
      where tenant = ${a} and hour <> '-infinity'`;
    assert.deepEqual((await status(db.sql))[a], { day: 0, total: 400 });
    await db.sql`select switchyard.prune_events(now() - interval '30 days')`;
    const rows = await db.sql<{ hour: string; events: string }[]>`
      select hour::text, events from switchyard.event_counts where tenant = ${a}`;
    assert.deepEqual(rows.map((r) => [r.hour, Number(r.events)]), [["-infinity", 400]]);
    assert.deepEqual((await status(db.sql))[a], { day: 0, total: 400 });
  } finally {
    await db.drop();
  }
});
