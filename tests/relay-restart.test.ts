/** The relay on its own cluster: a Postgres restart, and a slot invalidated past max_slot_wal_keep_size. */
import assert from "node:assert/strict";
import { startCluster } from "../local/postgres.ts";
import { migrate } from "../local/migrate.ts";
import { freePort } from "../local/ports.ts";
import { createSql } from "../functions/_shared/db.ts";
import { seedTenant } from "./harness.ts";
import {
  assertOrderPerIncarnation,
  recordingPipeline,
  relayEnv,
  startRelay,
  writeEvents,
} from "./relay-support.ts";
import { waitUntil } from "./wait.ts";

Deno.test("the relay reconnects after a Postgres restart and recovers from a lost slot", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "switchyard-relay-" });
  const port = freePort();
  // A tiny WAL allowance, so the test can push the slot past it.
  const settings = { fsync: "off", max_slot_wal_keep_size: "1MB", wal_keep_size: 0 };
  let cluster = await startCluster({ dir, port, settings });
  const pipeline = recordingPipeline();
  const env = relayEnv(cluster.url, pipeline.url, "restart", { RELAY_SLOT: "switchyard_relay" });
  let relay = startRelay(env);
  let sql = createSql(cluster.url, { max: 4 });
  try {
    await migrate(cluster.url);
    const { slug } = await seedTenant(sql);

    await t.step("events committed around a restart are all handed over", async () => {
      await relay.waitForLog(/"streaming"/);
      await writeEvents(sql, slug, { total: 100, writers: 2, batch: 10, entities: 10 });
      await waitUntil("100 events", () => pipeline.seenIds().size === 100, 20_000);
      await sql.end({ timeout: 1 });
      await cluster.stop();
      await relay.waitForLog(/relay session ended; reconnecting/);
      cluster = await startCluster({ dir, port, settings });
      sql = createSql(cluster.url, { max: 4 });
      await writeEvents(sql, slug, { total: 100, writers: 2, batch: 10, entities: 10 });
      await waitUntil(
        "200 events after the restart",
        () => pipeline.seenIds().size === 200,
        30_000,
      );
      assertOrderPerIncarnation(pipeline.batches);
    });

    await t.step(
      "a slot lost while the relay is down is re-created and the log caught up",
      async () => {
        await relay.kill("SIGKILL");
        await writeEvents(sql, slug, { total: 50, writers: 1, batch: 10, entities: 10 });
        await sql`create table if not exists filler (x text)`;
        for (let i = 0; i < 4; i++) {
          await sql`insert into filler select repeat('x', 1000) from generate_series(1, 2000)`;
          await sql`select pg_switch_wal()`;
        }
        await sql`checkpoint`;
        const [{ h }] = await sql<
          { h: { slot: { wal_status: string } } }[]
        >`select switchyard.health_relay() as h`;
        assert.equal(h.slot.wal_status, "lost");
        relay = startRelay(env);
        await relay.waitForLog(/replication slot was lost/);
        await waitUntil(
          "250 events after the catch-up",
          () => pipeline.seenIds().size === 250,
          30_000,
        );
        await writeEvents(sql, slug, { total: 50, writers: 1, batch: 10, entities: 10 });
        await waitUntil(
          "300 events streamed on the new slot",
          () => pipeline.seenIds().size === 300,
          30_000,
        );
        assertOrderPerIncarnation(pipeline.batches);
      },
    );
  } finally {
    await relay.kill();
    await pipeline.stop();
    await sql.end({ timeout: 1 });
    await cluster.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
