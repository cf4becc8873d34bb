/** The relay end to end: events reach the real pipeline, health reports lag, idle means no queries. */
import assert from "node:assert/strict";
import { seedTenant, startStack } from "./harness.ts";
import { appendEvents } from "../functions/_shared/events/append.ts";
import { relayEnv, startRelay, withStreamingRelay, writeEvents } from "./relay-support.ts";
import { staysTrue, waitUntil } from "./wait.ts";
import { sleep } from "../functions/_shared/clock.ts";

type RelayHealth = {
  lag_ms: number;
  lag_events: number;
  active?: boolean;
  slot?: { name: string; wal_status: string; retained_bytes: number };
};

Deno.test("appended events, also those from before the relay first ran, reach the pipeline; health shows the lag", async () => {
  const stack = await startStack({ store: "memory" });
  const relayEnvVars = relayEnv(stack.db.url, stack.env.SUPABASE_URL, stack.db.name);
  let relay = startRelay(relayEnvVars);
  try {
    const { slug } = await seedTenant(stack.db.sql);
    await writeEvents(stack.db.sql, slug, { total: 100, writers: 1, batch: 50, entities: 10 });
    await relay.kill();
    relay = startRelay(relayEnvVars);
    await writeEvents(stack.db.sql, slug, { total: 1_200, writers: 3, batch: 40, entities: 50 });
    const handed = async () => {
      const [s] = await stack.db.sql<{ handed_over: string; last_seq: string; max: string }[]>`
        select handed_over, last_seq, (select max(seq) from switchyard.events) as max from switchyard.relay_state`;
      return Number(s.handed_over) >= 1_300 && s.last_seq === s.max;
    };
    await waitUntil("1,300 events handed over", handed, 30_000);
    const health = async () =>
      (await stack.db.sql<{ h: RelayHealth }[]>`select switchyard.health_relay() as h`)[0].h;
    // The slot turns active once the catch-up is handed over and streaming starts: wait for both.
    await waitUntil("lag 0 with the slot streaming", async () => {
      const h = await health();
      return h.lag_events === 0 && h.active === true;
    }, 15_000);
    const caughtUp = await health();
    assert.equal(caughtUp.lag_ms, 0);
    assert.equal(caughtUp.active, true);
    assert.equal(caughtUp.slot?.wal_status, "reserved");
    assert.equal(caughtUp.slot?.name, relayEnvVars.RELAY_SLOT);

    const api = await fetch(`${stack.base}/api/health`);
    const body = await api.json();
    assert.equal(body.checks.relay.lagEvents, 0);

    await relay.kill();
    await appendEvents(stack.db.sql, [{
      tenant: slug,
      type: "order.created",
      entity: { type: "order", id: "late" },
    }]);
    // The walsender notices the relay's exit a moment after it.
    const down = await waitUntil(
      "the lag to show the unstreamed event, the slot inactive",
      async () => {
        const h = await health();
        return h.lag_events === 1 && h.active === false && h;
      },
      10_000,
    );
    assert.ok(down.lag_ms > 0, `lag_ms ${down.lag_ms}`);
    assert.equal(down.active, false);
  } finally {
    await relay.kill();
    await stack.close();
  }
});

Deno.test("an idle relay issues no queries and no hand-overs", () =>
  withStreamingRelay(async ({ db, pipeline, slug, relay }) => {
    await writeEvents(db.sql, slug, { total: 20, writers: 1, batch: 10, entities: 3 });
    await waitUntil("20 events", () => pipeline.count() === 20, 10_000);
    await sleep(200); // in-flight acknowledgements settle before the idle window starts
    const activity = () =>
      db.sql<{ pid: number; query_start: Date; state_change: Date; backend_type: string }[]>`
      select pid, query_start, state_change, backend_type from pg_stat_activity
      where application_name = 'switchyard-relay' and datname = current_database() order by pid`;
    const before = await activity();
    assert.equal(before.length, 2, JSON.stringify(before));
    const batches = pipeline.batches.length;
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    await staysTrue(
      "no query and no hand-over while idle",
      async () => same(await activity(), before) && pipeline.batches.length === batches,
      2_500,
    );
    assert.equal((await relay.kill("SIGTERM")).code, 0, "SIGTERM stops the relay cleanly");
  }));
