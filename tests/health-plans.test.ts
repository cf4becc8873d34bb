/**
 * Health's relay figures (migrations/20261201090100_health_plans.sql) read the events that wait,
 * not the whole log: they run on every /health, `switchyard status` and alerts tick.
 */
import assert from "node:assert/strict";
import { seedTenant, testDatabase } from "./harness.ts";
import { appendEvents } from "../functions/_shared/events/append.ts";

Deno.test("health's relay lag reads only the events that wait, however long the log is", async () => {
  const db = await testDatabase();
  try {
    const { slug } = await seedTenant(db.sql);
    for (let b = 0; b < 6; b++) {
      await appendEvents(
        db.sql,
        Array.from({ length: 500 }, (_, i) => ({
          tenant: slug,
          type: "order.updated",
          entity: { type: "order", id: `o-${b}-${i}` },
          data: { b, i },
        })),
      );
    }
    await db.sql`analyze switchyard.events`;
    const read = async (lagBehind: number) =>
      await db.sql.begin(async (tx) => {
        await tx`update switchyard.relay_state
          set last_seq = (select max(seq) from switchyard.events) - ${lagBehind} where id`;
        const [{ relay, progress }] = await tx<
          { relay: { lag_events: number }; progress: { relay_oldest_waiting_ms: number | null } }[]
        >`select switchyard.health_relay() as relay, switchyard.health_progress() as progress`;
        const [stats] = await tx<{ rows: string }[]>`
          select coalesce(idx_tup_fetch, 0) + coalesce(seq_tup_read, 0) as rows
          from pg_stat_xact_user_tables where relname = 'events'`;
        return { relay, progress, rows: Number(stats.rows) };
      });

    const caughtUp = await read(0);
    assert.equal(caughtUp.relay.lag_events, 0);
    assert.equal(caughtUp.progress.relay_oldest_waiting_ms, null);
    // The max(seq) above reads one; a scan of the log would read all 3,000.
    assert.ok(
      caughtUp.rows < 50,
      `caught up, health read ${caughtUp.rows} event rows of a 3,000-event log`,
    );

    const behind = await read(10);
    assert.equal(behind.relay.lag_events, 10);
    assert.ok(behind.progress.relay_oldest_waiting_ms !== null);
    assert.ok(
      behind.rows < 100,
      `10 waiting, health read ${behind.rows} event rows of a 3,000-event log`,
    );
  } finally {
    await db.drop();
  }
});
